import { expireDueApprovals } from '../approvals/expiry.js';
import { sealAudit } from '../audit/seal.js';
import { renewDue, resolvePendingCharges, retryDue } from '../billing/renewals.js';
import { chainTasks } from '../chain/tasks.js';
import { closeDueChallenges } from '../challenges/actions.js';
import { sendDueCodes, smtpTransport } from '../challenges/email.js';
import { resumeAdvances } from '../clocks/advance.js';
import type { Config } from '../config.js';
import { inTransaction } from '../db/pool.js';
import { settleDueEscrows } from '../escrows/auto.js';
import { addEventPartitions } from '../events/partitions.js';
import { archiveOldEvents } from '../events/retention.js';
import { sequenceEvents } from '../events/sequencer.js';
import { importEcbFeed } from '../fx/ecb-feed.js';
import { job_handlers } from '../jobs/handlers.js';
import { runDueJobs } from '../jobs/queue.js';
import { purgeExpiredPayloads } from '../oauth/adapter.js';
import { settleDuePayments } from '../payments/lifecycle.js';
import { runDueSchedules } from '../payouts/schedules.js';
import { foldEvents } from '../reports/rollups.js';
import { purgeExpiredKeys } from '../requests/idempotency-store.js';
import { purgeOldMovements } from '../risk/movement-retention.js';
import { type Clock, systemClock } from '../shared/clock.js';
import { expireHolds } from '../transfers/service.js';
import { DeliveryRunner } from '../webhooks/delivery-runner.js';
import type { PeriodicTask, WorkerDeps } from './scheduler.js';

const expired_holds_per_round_max = 500;
const jobs_per_round_max = 200;
const settlements_per_round_max = 500;
const schedules_per_round_max = 100;
const due_escrows_per_round_max = 500;
const expired_approvals_per_round_max = 500;
const expired_oauth_payloads_per_round_max = 5_000;
/** Each is an SMTP exchange: a round stays short enough not to hold its challenges long. */
const challenge_codes_per_round_max = 20;
/** Renewals per transaction: each is an invoice, a ledger entry and its events (see bench/). */
const renewals_per_batch_max = 1_000;
const retries_per_batch_max = 500;
/** Events folded into the overview's rollups per transaction, and transactions per round. */
const rollup_events_per_batch_max = 10_000;
const rollup_batches_per_round_max = 20;
const rollup_interval_ms = 1_000;
/** Partitions are made two months ahead and archived by the day: hourly is plenty for both. */
const event_partitions_interval_ms = 3_600_000;

/** Every background task Purse runs, in `purse serve` and in `purse worker`. */
export function backgroundTasks(
  config: Config,
  deps: { clock?: Clock; log: WorkerDeps['log'] },
): PeriodicTask[] {
  const clock = deps.clock ?? systemClock;
  let runner: DeliveryRunner | undefined;
  let smtp: ReturnType<typeof smtpTransport>;
  const tick_ms = config.limits.worker_tick_ms;
  return [
    {
      name: 'purge_idempotency_keys',
      interval_ms: 60_000,
      run: (pool, now) => purgeExpiredKeys(pool, config.limits.idempotency_retention_s, now),
    },
    {
      name: 'purge_old_movements',
      interval_ms: event_partitions_interval_ms,
      run: (pool, now) => purgeOldMovements(pool, now),
    },
    {
      name: 'expire_holds',
      interval_ms: tick_ms,
      run: (pool, now) =>
        inTransaction(pool, (client) => expireHolds(client, now, expired_holds_per_round_max)),
    },
    {
      name: 'run_jobs',
      interval_ms: tick_ms,
      run: (pool, now) => runDueJobs(pool, job_handlers, now, jobs_per_round_max),
    },
    {
      name: 'settle_payments',
      interval_ms: tick_ms,
      run: (pool, now) =>
        inTransaction(pool, (client) => settleDuePayments(client, now, settlements_per_round_max)),
    },
    {
      name: 'run_payout_schedules',
      interval_ms: tick_ms,
      // One transaction per schedule, opened by runDueSchedules.
      run: (pool, now) =>
        runDueSchedules({ pool, limits: config.limits, now, rails: config.rails }, schedules_per_round_max),
    },
    {
      name: 'settle_due_escrows',
      interval_ms: tick_ms,
      // One transaction per escrow, opened by settleDueEscrows.
      run: (pool, now) => settleDueEscrows(pool, now, due_escrows_per_round_max),
    },
    {
      name: 'run_billing',
      interval_ms: tick_ms,
      // Every process may renew at once: batches are claimed FOR UPDATE SKIP LOCKED (renewals.ts).
      exclusive: false,
      run: async (pool, now) => {
        const billing = { pool, limits: config.limits, rails: config.rails };
        const real_time = { test_clock_id: null };
        let handled = 0;
        for (let renewed = -1; renewed !== 0; handled += renewed)
          renewed = await renewDue(billing, real_time, now, renewals_per_batch_max);
        handled += await resolvePendingCharges(billing, real_time, now, retries_per_batch_max);
        return handled + (await retryDue(billing, real_time, now, retries_per_batch_max));
      },
    },
    {
      name: 'resume_test_clock_advances',
      interval_ms: 10_000,
      run: (pool, now) => resumeAdvances({ pool, limits: config.limits, rails: config.rails }, now),
    },
    {
      // Exclusive by its own advisory lock (see sequencer.ts), which it holds until it commits.
      name: 'sequence_events',
      interval_ms: config.events.sequence_interval_ms,
      exclusive: false,
      run: (pool, now) => sequenceEvents(pool, config.events.sequence_batch_max, now),
    },
    {
      name: 'deliver_webhooks',
      interval_ms: config.webhooks.poll_ms,
      exclusive: false,
      run: (pool) => {
        runner ??= new DeliveryRunner({ pool, clock, config: config.webhooks, log: deps.log });
        return runner.poll();
      },
      stop: async () => runner?.stop(),
    },
    {
      // The overview's daily totals (reports/rollups.ts). The overview reads the events this has
      // not folded yet live, so its period bounds the work a read does, not how stale it is.
      name: 'roll_up_overview',
      interval_ms: rollup_interval_ms,
      // One fold at a time by the cursor's row lock (rollups.ts).
      exclusive: false,
      run: (pool) => foldEvents(pool, rollup_events_per_batch_max, rollup_batches_per_round_max),
    },
    {
      name: 'add_event_partitions',
      interval_ms: event_partitions_interval_ms,
      run: (pool, now) => addEventPartitions(pool, now),
    },
    {
      // Does nothing unless PURSE_EVENT_RETENTION_DAYS is set (docs/operations.md, "Event retention").
      name: 'archive_events',
      interval_ms: event_partitions_interval_ms,
      run: async (pool, now) => (await archiveOldEvents(pool, config.events, now)).archived.length,
    },
    {
      name: 'seal_audit',
      interval_ms: config.events.sequence_interval_ms,
      run: (pool) => sealAudit(pool),
    },
    {
      name: 'expire_approvals',
      interval_ms: tick_ms,
      run: (pool, now) =>
        inTransaction(pool, (client) => expireDueApprovals(client, now, expired_approvals_per_round_max)),
    },
    {
      name: 'close_due_challenges',
      interval_ms: tick_ms,
      run: (pool, now) =>
        inTransaction(pool, (client) => closeDueChallenges(client, now, expired_approvals_per_round_max)),
    },
    {
      name: 'send_challenge_codes',
      interval_ms: tick_ms,
      // Claimed FOR UPDATE SKIP LOCKED: every process may send at once, each its own codes.
      exclusive: false,
      run: (pool, now) => {
        smtp ??= smtpTransport(config.challenges);
        return smtp === undefined
          ? Promise.resolve(0)
          : sendDueCodes(pool, config.challenges, smtp, now, challenge_codes_per_round_max);
      },
    },
    {
      name: 'purge_oauth_payloads',
      interval_ms: 60_000,
      run: (pool) => purgeExpiredPayloads(pool, expired_oauth_payloads_per_round_max),
    },
    {
      // Does nothing unless PURSE_FX_ECB_URL is set (docs/fx.md).
      name: 'import_ecb_rates',
      interval_ms: config.rails.fx.ecb_poll_ms,
      run: (pool, now) => importEcbFeed(pool, config.rails.fx, now),
    },
    ...chainTasks(config),
  ];
}
