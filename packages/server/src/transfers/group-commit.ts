import type { Span } from '@opentelemetry/api';
import { type AuditSubject, auditEntry } from '../audit/request.js';
import type { GroupCommitConfig, Limits } from '../config.js';
import { DeferredInserts } from '../db/deferred.js';
import type { Client, Pool } from '../db/pool.js';
import { transferMovements } from '../guard/movements-of.js';
import { type GuardRequest, needsScreen, type PreparedScreen, prepareScreen } from '../guard/screen.js';
import { batch_seconds, batch_transfers } from '../metrics/process-metrics.js';
import { keyId, type Replay } from '../requests/idempotency-store.js';
import { screenInSavepoint } from '../requests/screening.js';
import { begin, type Claim, claimKeys, recordAnswers, transientProblem } from '../requests/transaction.js';
import { lockRiskReads } from '../risk/locks.js';
import { enabledRules, type RiskRuleRow } from '../risk/rules.js';
import { RunningMovements } from '../risk/running.js';
import { assert } from '../shared/assert.js';
import type { Clock } from '../shared/clock.js';
import { domainError } from '../shared/errors.js';
import type { Result } from '../shared/result.js';
import { attr, failSpan, inSpan, recordingSpan } from '../tracing/spans.js';
import { BatchQueue, type JobFacts } from './batch-queue.js';
import { batchOutcome, type JobOutcome, problemOutcome, singleOutcome } from './outcomes.js';
import type { TransferInput } from './prepare.js';
import { createTransfers } from './service.js';
import type { TransferView } from './view.js';

/** One POST /v1/transfers waiting for its batch. */
export interface TransferJob {
  readonly api_key_id: string;
  readonly livemode: boolean;
  readonly request_id: string;
  /** With an Idempotency-Key: the key and the request's fingerprint. */
  readonly idempotency?: { readonly key: string; readonly fingerprint: Buffer };
  readonly inputs: readonly TransferInput[];
  /** Set for POST /v1/transfers/batch, which answers with a result per item. */
  readonly batch?: { readonly atomic: boolean };
  /** Who asked, for the request's audit entry, written in the batch's transaction once answered. */
  readonly audit: AuditSubject;
  /** The request as the access checks see it (restrictions, spend policy, risk rules). */
  readonly guard: GuardRequest;
}

export type TransferResults = readonly Result<TransferView>[];

/**
 * Group commit for transfers, as TigerBeetle batches: concurrent requests in this process share
 * one database transaction, so the commit (an fsync) and the locks on hot accounts (the fee
 * account every transfer credits) are paid once per batch instead of once per transfer.
 *
 * Which requests leave together, and when, is the pure `BatchQueue`'s business (batch-queue.ts);
 * this class is the batch writer. Each batch claims its idempotency keys, applies its transfers in
 * arrival order against running balances (one refused transfer does not fail the others), records
 * every response and commits once; only then is any request answered. Several processes stay
 * correct through row locks.
 */
export class TransferGroupCommit {
  private readonly queue: BatchQueue<TransferJob, JobOutcome>;
  /** While tracing: each queued job's request span, which its batch's span links to. */
  private readonly request_spans = new WeakMap<TransferJob, Span>();

  constructor(
    private readonly deps: { pool: Pool; limits: Limits; clock: Clock },
    options: GroupCommitConfig,
  ) {
    this.queue = new BatchQueue((jobs) => this.flush(jobs), jobFacts, options);
  }

  /** The request's answer once its batch commits; 503 queue_full at once when too many wait. */
  submit(job: TransferJob): Promise<JobOutcome> {
    const span = recordingSpan();
    if (span !== undefined) {
      this.request_spans.set(job, span);
      span.addEvent('group_commit.queued', { [attr.batch_transfers]: job.inputs.length });
    }
    const outcome = this.queue.submit(job);
    if (outcome !== 'full') return outcome;
    const detail = 'Too many transfers are waiting to be written; nothing was written. Retry shortly.';
    return Promise.resolve(problemOutcome(domainError('queue_full', detail), job.request_id));
  }

  /**
   * Resolves once every submitted job has been answered. Shutdown waits on it before closing the
   * pool: a request whose client hung up is still in a batch and must finish its transaction.
   */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** Transfers waiting for a batch, and batches being written: for GET /metrics. */
  get depth(): { readonly queued_transfers: number; readonly in_flight: number } {
    return this.queue.depth;
  }

  /**
   * Writes a batch under its own span, a root (its requests belong to different traces) linked to
   * each request's span; each request's span notes when its batch started, with the batch's trace
   * id, so the wait in the queue shows from either side.
   */
  private flush(jobs: readonly TransferJob[]): Promise<readonly JobOutcome[]> {
    const requests = jobs.flatMap((job) => {
      const span = this.request_spans.get(job);
      return span === undefined ? [] : [span];
    });
    const options = {
      root: true,
      links: requests.map((span) => ({ context: span.spanContext() })),
      attributes: {
        [attr.batch_jobs]: jobs.length,
        [attr.batch_transfers]: jobs.reduce((sum, job) => sum + job.inputs.length, 0),
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

  private async writeOrAnswer(jobs: readonly TransferJob[], batch: Span): Promise<readonly JobOutcome[]> {
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
  private async write(jobs: readonly TransferJob[], batch: Span): Promise<JobOutcome[]> {
    const started_ms = performance.now();
    const client = await this.deps.pool.connect();
    try {
      batch.addEvent('connection_acquired');
      await begin(
        client,
        this.deps.limits,
        jobs.some((job) => job.idempotency !== undefined),
      );
      const outcomes = await this.apply(client, jobs);
      batch.addEvent('commit_started');
      await client.query('COMMIT');
      batch_transfers.observe(jobs.reduce((sum, job) => sum + job.inputs.length, 0));
      batch_seconds.observe((performance.now() - started_ms) / 1000);
      return outcomes;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async apply(client: Client, jobs: readonly TransferJob[]): Promise<JobOutcome[]> {
    const outcomes: (JobOutcome | undefined)[] = jobs.map(() => undefined);
    const replays = await this.claim(client, jobs);
    const to_run = jobs.flatMap((job, index) => {
      const replay = replays.get(index);
      if (replay === undefined) return [{ job, index }];
      outcomes[index] = replayOutcome(replay, job.request_id);
      return [];
    });
    const now = this.deps.clock.now();
    const atomic = to_run.length === 1 && to_run[0]?.job.batch?.atomic === true;
    if (atomic) await client.query('SAVEPOINT atomic_batch');
    // The batch's trailing inserts (transfers, events, idempotency records, audit) go as one
    // statement at the end; an atomic batch, which may roll back to its savepoint, writes at once.
    const deferred = new DeferredInserts();
    for (const livemode of [false, true]) {
      const screened = await this.screen(
        client,
        to_run.filter((item) => item.job.livemode === livemode),
        outcomes,
      );
      if (screened.length === 0) continue;
      const ctx = {
        db: client,
        pool: this.deps.pool,
        livemode,
        limits: this.deps.limits,
        now,
        ...(atomic ? {} : { later: deferred }),
      };
      const results = await createTransfers(
        ctx,
        screened.flatMap((item) => item.job.inputs),
      );
      let offset = 0;
      for (const item of screened) {
        const mine = results.slice(offset, offset + item.job.inputs.length);
        offset += item.job.inputs.length;
        const outcome = outcomeOf(item.job, mine);
        const rolled_back = 'rolled_back' in outcome && outcome.rolled_back;
        if (rolled_back) await client.query('ROLLBACK TO SAVEPOINT atomic_batch');
        else await item.after?.(client, mine);
        outcomes[item.index] = outcome;
      }
    }
    const answered = outcomes.map((outcome) => {
      assert(outcome !== undefined, 'every job has an outcome');
      return outcome;
    });
    // A replayed job (its key already answered) is audited, not recorded again.
    const ran = new Set(to_run.map(({ index }) => index));
    await recordAnswers(
      deferred.queryable,
      jobs.map((job, index) => {
        const { status, body, value } = answered[index] as JobOutcome;
        return {
          claim: ran.has(index) ? claimOf(job) : undefined,
          status,
          stored_body: body,
          audit: auditEntry(job.audit, now, status, value ?? body),
        };
      }),
    );
    await deferred.flush(client);
    return answered;
  }

  /**
   * Runs the access checks of a mode's jobs: a refused or parked job gets its outcome here and is
   * not written; the others go on, with what to record once written. The enabled risk rules are
   * read once per batch, so keys without restrictions or a policy pay one query per batch.
   * Every job's risk locks are taken first, in one statement (one order, so batches cannot
   * deadlock on them); then each job is screened against what the jobs before it will move.
   */
  private async screen(
    client: Client,
    group: readonly { job: TransferJob; index: number }[],
    outcomes: (JobOutcome | undefined)[],
  ): Promise<
    { job: TransferJob; index: number; after?: (db: Client, value: TransferResults) => Promise<void> }[]
  > {
    const first = group[0];
    if (first === undefined) return [];
    const rules = await enabledRules(client, first.job.livemode);
    const going: {
      job: TransferJob;
      index: number;
      after?: (db: Client, value: TransferResults) => Promise<void>;
    }[] = [];
    const prepared: (PreparedScreen<TransferResults> | undefined)[] = [];
    for (const item of group) prepared.push(await prepareChecks(client, item.job, rules));
    await lockRiskReads(
      client,
      prepared.flatMap((screen) => screen?.lock_ids ?? []),
    );
    const running = new RunningMovements();
    for (const [position, item] of group.entries()) {
      const check = prepared[position];
      const screen =
        check === undefined
          ? undefined
          : await screenInSavepoint(client, () => check.screen(client, running));
      if (screen === undefined || screen.verdict === 'proceed') {
        going.push(screen === undefined ? item : { ...item, after: screen.after });
      } else if (screen.verdict === 'park') {
        const parked = await screen.park(client);
        outcomes[item.index] = { status: 202, body: JSON.stringify(parked), replayed: false, value: parked };
      } else {
        outcomes[item.index] = problemOutcome(screen.error, item.job.request_id);
      }
    }
    return going;
  }

  /**
   * Claims every job's idempotency key with one statement (the queue never puts one key twice in
   * a batch), then returns, by job index, the replay of each key already answered.
   */
  private async claim(client: Client, jobs: readonly TransferJob[]): Promise<Map<number, Replay>> {
    const claims = jobs.flatMap((job, index) => {
      const claim = claimOf(job);
      return claim === undefined ? [] : [{ index, claim }];
    });
    const stored = await claimKeys(
      client,
      this.deps.limits,
      claims.map(({ claim }) => claim),
    );
    const replays = new Map<number, Replay>();
    for (const { index, claim } of claims) {
      const replay = stored.get(keyId(claim));
      if (replay !== undefined) replays.set(index, replay);
    }
    return replays;
  }
}

function claimOf(job: TransferJob): Claim | undefined {
  return job.idempotency === undefined ? undefined : { api_key_id: job.api_key_id, ...job.idempotency };
}

/**
 * How the queue may batch a job. An atomic batch request always goes alone, so its refusal can
 * roll back just its own effect, and so does a request of a key with a spend policy, whose
 * counters are checked and then added to.
 */
function jobFacts(job: TransferJob): JobFacts {
  const claim = claimOf(job);
  return {
    size: job.inputs.length,
    alone: job.batch?.atomic === true || job.guard.auth.spend_policy !== null,
    ...(claim === undefined ? {} : { key: keyId(claim) }),
  };
}

/** The job's access checks, to run once their locks are held; undefined when nothing applies. */
async function prepareChecks(
  db: Client,
  job: TransferJob,
  rules: readonly RiskRuleRow[],
): Promise<PreparedScreen<TransferResults> | undefined> {
  if (!needsScreen(job.guard.auth, rules)) return undefined;
  const movements = await transferMovements(db, job.livemode, job.inputs, job.batch !== undefined);
  return prepareScreen(db, job.guard, rules, movements, (results: TransferResults) =>
    results.map((result) => (result.ok ? result.value.id : undefined)),
  );
}

function replayOutcome(replay: Replay, request_id: string): JobOutcome {
  if ('error' in replay) return problemOutcome(replay.error, request_id);
  return { status: replay.status, body: replay.body, replayed: true };
}

function outcomeOf(job: TransferJob, results: readonly Result<TransferView>[]): JobOutcome {
  if (job.batch !== undefined) return batchOutcome(results, job.batch.atomic, job.request_id);
  const [result] = results;
  assert(result !== undefined && results.length === 1, 'a single transfer has one result');
  return singleOutcome(result, job.request_id);
}
