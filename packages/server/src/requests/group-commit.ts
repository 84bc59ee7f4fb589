import type { Span } from '@opentelemetry/api';
import type { GroupCommitConfig, Limits } from '../config.js';
import type { Client, Pool } from '../db/pool.js';
import { domainError } from '../shared/errors.js';
import { attr, failSpan, inSpan, recordingSpan } from '../tracing/spans.js';
import { BatchQueue, type JobFacts } from './batch-queue.js';
import { type JobOutcome, problemOutcome } from './outcome.js';
import { begin, transientProblem } from './transaction.js';

/** What the engine needs of a job; the rest is the writer's business. */
export interface GroupJob {
  readonly request_id: string;
}

/** The part that differs between engines: what a batch writes, inside its open transaction. */
export interface BatchWriter<J extends GroupJob> {
  /** How the queue may batch a job (its size, whether it goes alone, its idempotency key). */
  facts(job: J): JobFacts;
  /** Whether the batch claims idempotency keys (its first lock waits are then bounded for them). */
  claiming(jobs: readonly J[]): boolean;
  /** Writes the batch and returns each job's answer, in order; throws to fail the batch whole. */
  apply(client: Client, jobs: readonly J[]): Promise<JobOutcome[]>;
  /** After each commit: what the batch carried and how long it took, for the metrics. */
  committed?(jobs: readonly J[], seconds: number): void;
}

/**
 * Group commit, as TigerBeetle batches: concurrent requests in this process share one database
 * transaction, so the commit (an fsync) and the locks on hot accounts are paid once per batch
 * instead of once per request. Which requests leave together, and when, is the pure `BatchQueue`'s
 * business; this class opens, traces and ends each batch's transaction around its `BatchWriter`.
 * No request is answered before its batch commits. Several processes stay correct through row locks.
 */
export class GroupCommit<J extends GroupJob> {
  private readonly queue: BatchQueue<J, JobOutcome>;
  /** While tracing: each queued job's request span, which its batch's span links to. */
  private readonly request_spans = new WeakMap<J, Span>();

  constructor(
    private readonly deps: { pool: Pool; limits: Limits },
    options: GroupCommitConfig,
    private readonly writer: BatchWriter<J>,
  ) {
    this.queue = new BatchQueue(
      (jobs) => this.flush(jobs),
      (job) => writer.facts(job),
      options,
    );
  }

  /** The request's answer once its batch commits; 503 queue_full at once when too many wait. */
  submit(job: J): Promise<JobOutcome> {
    const span = recordingSpan();
    if (span !== undefined) {
      this.request_spans.set(job, span);
      span.addEvent('group_commit.queued', { [attr.batch_transfers]: this.writer.facts(job).size });
    }
    const outcome = this.queue.submit(job);
    if (outcome !== 'full') return outcome;
    const detail = 'Too many requests are waiting to be written; nothing was written. Retry shortly.';
    return Promise.resolve(problemOutcome(domainError('queue_full', detail), job.request_id));
  }

  /**
   * Resolves once every submitted job has been answered. Shutdown waits on it before closing the
   * pool: a request whose client hung up is still in a batch and must finish its transaction.
   */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** Work waiting for a batch (in the writer's units), and batches being written: for GET /metrics. */
  get depth(): { readonly queued_transfers: number; readonly in_flight: number } {
    return this.queue.depth;
  }

  /**
   * Writes a batch under its own span, a root (its requests belong to different traces) linked to
   * each request's span; each request's span notes when its batch started, with the batch's trace
   * id, so the wait in the queue shows from either side.
   */
  private flush(jobs: readonly J[]): Promise<readonly JobOutcome[]> {
    const requests = jobs.flatMap((job) => {
      const span = this.request_spans.get(job);
      return span === undefined ? [] : [span];
    });
    const options = {
      root: true,
      links: requests.map((span) => ({ context: span.spanContext() })),
      attributes: {
        [attr.batch_jobs]: jobs.length,
        [attr.batch_transfers]: jobs.reduce((sum, job) => sum + this.writer.facts(job).size, 0),
      },
    };
    return inSpan('group_commit.batch', options, async (batch) => {
      const started = { [attr.batch_trace_id]: batch.spanContext().traceId, [attr.batch_jobs]: jobs.length };
      for (const span of requests) span.addEvent('group_commit.batch_started', started);
      const outcomes = await this.writeOrAnswer(jobs, batch);
      for (const span of requests) span.addEvent('group_commit.committed');
      return outcomes;
    });
  }

  private async writeOrAnswer(jobs: readonly J[], batch: Span): Promise<readonly JobOutcome[]> {
    try {
      return await this.write(jobs, batch);
    } catch (error) {
      failSpan(batch, error);
      // A transient failure (a key in use, a lock held too long) rolled back the whole transaction:
      // a request alone in its batch is answered with a retryable problem, and nothing is recorded.
      // A larger batch throws, and the queue retries its jobs one per batch.
      const [only] = jobs;
      const problem = jobs.length === 1 ? transientProblem(error) : undefined;
      if (only === undefined || problem === undefined) throw error;
      return [problemOutcome(problem, only.request_id)];
    }
  }

  /** One database transaction for the whole batch; returns each job's response. */
  private async write(jobs: readonly J[], batch: Span): Promise<JobOutcome[]> {
    const started_ms = performance.now();
    const client = await this.deps.pool.connect();
    try {
      batch.addEvent('connection_acquired');
      await begin(client, this.deps.limits, this.writer.claiming(jobs));
      const outcomes = await this.writer.apply(client, jobs);
      batch.addEvent('commit_started');
      await client.query('COMMIT');
      this.writer.committed?.(jobs, (performance.now() - started_ms) / 1000);
      return outcomes;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
