import { type AuditSubject, auditEntry } from '../audit/request.js';
import type { GroupCommitConfig, Limits } from '../config.js';
import { DeferredInserts } from '../db/deferred.js';
import type { Client, Pool, Queryable } from '../db/pool.js';
import type { Movement } from '../guard/movement.js';
import { transferMovements } from '../guard/movements-of.js';
import {
  type GuardRequest,
  needsScreen,
  type PreparedScreen,
  prepareScreen,
  walletFacts,
} from '../guard/screen.js';
import { batch_seconds, batch_transfers } from '../metrics/process-metrics.js';
import type { JobFacts } from '../requests/batch-queue.js';
import { type BatchWriter, GroupCommit } from '../requests/group-commit.js';
import { keyId, type Replay } from '../requests/idempotency-store.js';
import { type JobOutcome, problemOutcome, replayOutcome } from '../requests/outcome.js';
import { screenInSavepoint, screenReadOnly } from '../requests/screening.js';
import { type Claim, claimKeys, recordAnswers } from '../requests/transaction.js';
import type { WalletFacts } from '../risk/evaluate.js';
import { lockRiskReads } from '../risk/locks.js';
import { enabledRules, type RiskRuleRow } from '../risk/rules.js';
import { RunningMovements } from '../risk/running.js';
import { assert } from '../shared/assert.js';
import type { Clock } from '../shared/clock.js';
import type { Result } from '../shared/result.js';
import { batchOutcome, singleOutcome } from './outcomes.js';
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

/** What a screened job records once written (see requests/screening.ts). */
type After = (db: Client, value: TransferResults, later?: Queryable) => Promise<void>;

/** Group commit of POST /v1/transfers and /v1/transfers/batch. */
export type TransferGroupCommit = GroupCommit<TransferJob>;

export function transferGroupCommit(
  deps: { pool: Pool; limits: Limits; clock: Clock },
  options: GroupCommitConfig,
): TransferGroupCommit {
  return new GroupCommit(deps, options, new TransferBatchWriter(deps));
}

/**
 * The batch writer of transfers for the group-commit engine (requests/group-commit.ts). Each batch
 * claims its idempotency keys, applies its transfers in arrival order against running balances (one
 * refused transfer does not fail the others), records every response, and commits once.
 */
export class TransferBatchWriter implements BatchWriter<TransferJob> {
  constructor(private readonly deps: { pool: Pool; limits: Limits; clock: Clock }) {}

  facts(job: TransferJob): JobFacts {
    return jobFacts(job);
  }

  claiming(jobs: readonly TransferJob[]): boolean {
    return jobs.some((job) => job.idempotency !== undefined);
  }

  committed(jobs: readonly TransferJob[], seconds: number): void {
    batch_transfers.observe(jobs.reduce((sum, job) => sum + job.inputs.length, 0));
    batch_seconds.observe(seconds);
  }

  async apply(client: Client, jobs: readonly TransferJob[]): Promise<JobOutcome[]> {
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
        else await item.after?.(client, mine, atomic ? undefined : deferred.queryable);
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
  ): Promise<{ job: TransferJob; index: number; after?: After }[]> {
    const first = group[0];
    if (first === undefined) return [];
    const rules = await enabledRules(client, first.job.livemode);
    const going: { job: TransferJob; index: number; after?: After }[] = [];
    const prepared = await prepareChecks(
      client,
      group.map((item) => item.job),
      rules,
    );
    await lockRiskReads(
      client,
      prepared.flatMap((screen) => screen?.lock_ids ?? []),
    );
    const running = new RunningMovements();
    for (const [position, item] of group.entries()) {
      const check = prepared[position];
      // A key without a spend policy has checks that write nothing: no savepoint to undo them.
      const screen =
        check === undefined
          ? undefined
          : item.job.guard.auth.spend_policy === null
            ? await screenReadOnly(client, () => check.screen(client, running))
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

/**
 * Each job's access checks, to run once their locks are held (undefined where nothing applies);
 * the wallets of every job are read with one query.
 */
async function prepareChecks(
  db: Client,
  jobs: readonly TransferJob[],
  rules: readonly RiskRuleRow[],
): Promise<(PreparedScreen<TransferResults> | undefined)[]> {
  const movements = await Promise.all(
    jobs.map((job) =>
      needsScreen(job.guard.auth, rules)
        ? transferMovements(db, job.livemode, job.inputs, job.batch !== undefined)
        : undefined,
    ),
  );
  const listed = movements.flatMap((result) => (result?.ok === true ? result.value : []));
  const [first] = jobs;
  const facts =
    first === undefined || listed.length === 0 ? new Map() : await walletFacts(db, first.livemode, listed);
  return Promise.all(
    jobs.map((job, index) => {
      const result = movements[index];
      if (result === undefined) return undefined;
      const own = result.ok ? factsOf(facts, result.value) : undefined;
      return prepareScreen(
        db,
        job.guard,
        rules,
        result,
        (results: TransferResults) => results.map((item) => (item.ok ? item.value.id : undefined)),
        own,
      );
    }),
  );
}

/** Of the batch's wallet facts, those of one job's movements (its policy counts its own holders). */
function factsOf(
  all: ReadonlyMap<string, WalletFacts>,
  movements: readonly Movement[],
): Map<string, WalletFacts> {
  const own = new Map<string, WalletFacts>();
  for (const movement of movements)
    for (const id of [movement.source_wallet_id, ...movement.destination_wallet_ids]) {
      const facts = all.get(id);
      if (facts !== undefined) own.set(id, facts);
    }
  return own;
}

function outcomeOf(job: TransferJob, results: readonly Result<TransferView>[]): JobOutcome {
  if (job.batch !== undefined) return batchOutcome(results, job.batch.atomic, job.request_id);
  const [result] = results;
  assert(result !== undefined && results.length === 1, 'a single transfer has one result');
  return singleOutcome(result, job.request_id);
}
