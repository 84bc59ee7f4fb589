import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuditSubject, auditEntry, auditSubject } from '../audit/request.js';
import type { GroupCommitConfig, Limits } from '../config.js';
import type { Client } from '../db/pool.js';
import type { JobFacts } from '../requests/batch-queue.js';
import type { BatchWriter, GroupCommit } from '../requests/group-commit.js';
import { keyId, requestFingerprint } from '../requests/idempotency-store.js';
import { type JobOutcome, replayOutcome } from '../requests/outcome.js';
import { type Answer, type Claim, claimKeys, recordAnswers } from '../requests/transaction.js';
import { assert } from '../shared/assert.js';
import type { Clock } from '../shared/clock.js';
import type { Result } from '../shared/result.js';
import { inCurrentSpan } from '../tracing/spans.js';
import { authOf } from './auth.js';
import {
  type Executed,
  execute,
  idempotencyKey,
  json_content_type,
  type MutationOptions,
} from './mutation.js';
import { problem_content_type, retryAfter, sendProblem } from './problem.js';

/** One request's effect waiting to share a transaction with others (POST /v1/payments). */
export interface MutationJob {
  readonly request_id: string;
  readonly claim: Claim | undefined;
  /** Written in a batch of its own: a key with a spend policy, whose counters are read then added to. */
  readonly alone: boolean;
  /** Who asked, for the request's audit entry, written in the batch's transaction. */
  readonly audit: AuditSubject;
  /** The request's screen and effect, run in the batch's transaction as runMutation runs them. */
  readonly run: (db: Client) => Promise<Executed>;
}

export type MutationGroupCommit = GroupCommit<MutationJob>;

/**
 * Each job's effect runs in its own savepoint (execute), and every savepoint that writes takes a
 * subtransaction id. PostgreSQL keeps 64 of them per transaction in shared memory; past that, every
 * other session's snapshot must look them up on disk (a "suboverflowed" snapshot), so a batch stays
 * under it.
 */
const jobs_per_batch_max = 50;

/**
 * The batch writer of requests that run an arbitrary effect: the idempotency keys of the batch are
 * claimed with one statement, then each job runs in arrival order in its own savepoint (a refusal or
 * domain error undoes only its own writes), and every answer and audit entry is recorded before the
 * one commit.
 */
export class MutationBatchWriter implements BatchWriter<MutationJob> {
  constructor(private readonly deps: { limits: Limits; clock: Clock }) {}

  facts(job: MutationJob): JobFacts {
    return { size: 1, alone: job.alone, ...(job.claim === undefined ? {} : { key: keyId(job.claim) }) };
  }

  claiming(jobs: readonly MutationJob[]): boolean {
    return jobs.some((job) => job.claim !== undefined);
  }

  async apply(client: Client, jobs: readonly MutationJob[]): Promise<JobOutcome[]> {
    assert(jobs.length <= jobs_per_batch_max, 'a batch stays within the subtransaction cache');
    const claims = jobs.flatMap((job) => (job.claim === undefined ? [] : [job.claim]));
    const stored = await claimKeys(client, this.deps.limits, claims);
    const now = this.deps.clock.now();
    const outcomes: JobOutcome[] = [];
    const answers: Answer[] = [];
    for (const job of jobs) {
      const replay = job.claim === undefined ? undefined : stored.get(keyId(job.claim));
      if (replay === undefined) {
        const executed = await job.run(client);
        outcomes.push({ status: executed.status, body: executed.body, replayed: false });
        answers.push(answerOf(job, job.claim, executed.status, executed.replay, executed.body, now));
      } else {
        // A replayed request is audited, not recorded again.
        const outcome = replayOutcome(replay, job.request_id);
        outcomes.push(outcome);
        answers.push(answerOf(job, undefined, outcome.status, outcome.body, outcome.body, now));
      }
    }
    await recordAnswers(client, answers);
    return outcomes;
  }
}

function answerOf(
  job: MutationJob,
  claim: Claim | undefined,
  status: number,
  stored_body: string,
  body: string,
  now: Date,
): Answer {
  return { claim, status, stored_body, audit: auditEntry(job.audit, now, status, body) };
}

/**
 * The queue of a mutation engine, from the group-commit settings: batches of at most 50 jobs, and
 * one written at a time. Unlike a transfer batch, which locks every account it needs at once in one
 * order, a mutation batch locks as each job runs, in the jobs' order; two batches written at once
 * would deadlock as soon as each holds an account the other's later job needs (measured: a third of
 * the payment batches failed that way and were retried one job each). With group commit off
 * (batches of one), each request is its own transaction, as many at once as configured.
 */
export function mutationQueueOptions(config: GroupCommitConfig): GroupCommitConfig {
  if (config.batch_size_max <= 1) return config;
  return {
    ...config,
    batch_size_max: Math.min(config.batch_size_max, jobs_per_batch_max),
    flushes_in_flight_max: 1,
  };
}

/**
 * runMutation through a group-commit engine: the same protocol and answers, but the transaction is
 * shared with whatever other requests arrive while a batch is being written.
 */
export async function runGroupedMutation<T>(
  engine: MutationGroupCommit,
  limits: Limits,
  request: FastifyRequest,
  reply: FastifyReply,
  success_status: 200 | 201,
  work: (db: Client) => Promise<Result<T>>,
  options: MutationOptions<T>,
): Promise<FastifyReply> {
  assert(options.commit_refusals === undefined, 'a refusal that commits its writes runs alone (runMutation)');
  const key = idempotencyKey(request, limits);
  if (typeof key === 'object') return sendProblem(request, reply, key);
  const auth = authOf(request);
  const outcome = await engine.submit({
    request_id: request.id,
    claim:
      key === undefined
        ? undefined
        : {
            api_key_id: auth.key_id,
            key,
            fingerprint: requestFingerprint(request.method, request.url, request.body),
          },
    alone: auth.spend_policy !== null,
    audit: auditSubject(request),
    run: inCurrentSpan((db: Client) => execute(db, request.id, success_status, work, options)),
  });
  return sendOutcome(request, reply, outcome);
}

/** Answers a request with what its group-commit batch recorded (and audited) for it. */
export function sendOutcome(request: FastifyRequest, reply: FastifyReply, outcome: JobOutcome): FastifyReply {
  request.audited = true;
  if (outcome.replayed) reply.header('Idempotent-Replayed', 'true');
  if (outcome.code !== undefined) retryAfter(reply, outcome.code);
  return reply
    .code(outcome.status)
    .type(outcome.status < 400 ? json_content_type : problem_content_type)
    .send(outcome.body);
}
