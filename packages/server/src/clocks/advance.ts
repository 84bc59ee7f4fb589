import type { BillingDeps } from '../billing/renewals.js';
import { renewDue, resolvePendingCharges, retryDue } from '../billing/renewals.js';
import {
  findTestClock,
  type TestClockRow,
  type TestClockView,
  testClockView,
} from '../billing/test-clocks.js';
import { inTransaction, type Queryable } from '../db/pool.js';
import { settleDueEscrows } from '../escrows/auto.js';
import { eventOf, recordEvents } from '../events/index.js';
import { settleDuePayments } from '../payments/lifecycle.js';
import { runDueSchedules } from '../payouts/schedules.js';
import { assert } from '../shared/assert.js';
import { expireHolds } from '../transfers/service.js';
import { type ClockScope, walletInScope } from './scope.js';

/** The most steps (distinct due times) one advance runs: ten years of daily renewals fit. */
const advance_steps_max = 5_000;
/** Rounds of batches at one time of the clock, at most: a guard, as each item moves past it. */
const advance_rounds_max = 1_000;
/** Items per transaction while advancing. */
const advance_batch_max = 200;

/**
 * Runs everything that falls due for a clock's holders between its time and where it is going, in
 * time order: at each next due time the clock stands there while that time's work runs, exactly
 * as the worker runs it in real time (each batch its own transaction), so an invoice written at a
 * period's end is dated then and a retry three days later sees what happened in between. The
 * clock's time is saved after each step: a crash resumes from there (the worker finishes advances
 * it finds stalled). Ends `ready`, with the event test_clock.ready.
 */
export async function finishAdvance(
  deps: BillingDeps,
  id: string,
  now: Date,
): Promise<TestClockView | undefined> {
  const scope: ClockScope = { test_clock_id: id };
  for (let step = 0; step < advance_steps_max; step += 1) {
    const clock = await findTestClock(deps.pool, false, id);
    if (clock === undefined || clock.status !== 'advancing' || clock.advancing_to === null) return undefined;
    const next = await nextDue(deps.pool, id);
    const at =
      next !== null && next <= clock.advancing_to
        ? new Date(Math.max(next.getTime(), clock.frozen_time.getTime()))
        : clock.advancing_to;
    for (let round = 0; round < advance_rounds_max; round += 1)
      if ((await runDue(deps, scope, at)) === 0) break;
    if (at.getTime() === clock.advancing_to.getTime()) return ready(deps, id, at, now);
    await deps.pool.query('UPDATE test_clocks SET frozen_time = $2, updated_at = $3 WHERE id = $1', [
      id,
      at,
      now,
    ]);
  }
  const clock = await findTestClock(deps.pool, false, id);
  return clock?.advancing_to == null ? undefined : ready(deps, id, clock.advancing_to, now);
}

/** One round of every timed task at the clock's time `at`; how many items it handled. */
async function runDue(deps: BillingDeps, scope: ClockScope, at: Date): Promise<number> {
  const limit = advance_batch_max;
  return (
    (await inTransaction(deps.pool, (db) => expireHolds(db, at, limit, scope))) +
    (await inTransaction(deps.pool, (db) => settleDuePayments(db, at, limit, scope))) +
    (await settleDueEscrows(deps.pool, at, limit, scope)) +
    (await runDueSchedules({ ...deps, now: at }, limit, scope)) +
    (await renewDue(deps, scope, at, limit)) +
    (await resolvePendingCharges(deps, scope, at, limit)) +
    (await retryDue(deps, scope, at, limit))
  );
}

async function ready(deps: BillingDeps, id: string, at: Date, now: Date): Promise<TestClockView> {
  return inTransaction(deps.pool, async (db) => {
    const updated = await db.query<TestClockRow>(
      "UPDATE test_clocks SET frozen_time = $2, status = 'ready', advancing_to = NULL, updated_at = $3 WHERE id = $1 RETURNING *",
      [id, at, now],
    );
    assert(updated.rows[0] !== undefined, 'clock exists');
    const view = testClockView(updated.rows[0]);
    await recordEvents(db, [eventOf('test_clock.ready', view)], now);
    return view;
  });
}

/**
 * The earliest time anything of this clock's holders falls due: a renewal, a dunning retry, a hold
 * expiry, a settlement, an escrow's automatic date or a payout schedule's run.
 */
async function nextDue(db: Queryable, id: string): Promise<Date | null> {
  const scope = { test_clock_id: id };
  const found = await db.query<{ at: Date | null }>(
    `SELECT least(
       (SELECT min(current_period_end) FROM subscriptions
        WHERE test_clock_id = $1 AND status IN ('trialing', 'active', 'past_due')),
       (SELECT min(next_payment_attempt) FROM invoices WHERE test_clock_id = $1 AND next_payment_attempt IS NOT NULL),
       (SELECT min(expires_at) FROM transfers
        WHERE status = 'pending' AND ${walletInScope('transfers.source_wallet_id', scope, 1)}),
       (SELECT min(settles_at) FROM payments WHERE status = 'succeeded' AND settled_at IS NULL
          AND ${walletInScope('payments.wallet_id', scope, 1)}),
       (SELECT min(greatest(coalesce(auto_release_at, auto_refund_at), coalesce(auto_retry_at, '-infinity'))) FROM escrows
        WHERE status = 'held' AND ${walletInScope('escrows.payer_wallet_id', scope, 1)}),
       (SELECT min(next_run_at) FROM payout_schedules WHERE ${walletInScope('payout_schedules.wallet_id', scope, 1)})
     ) AS at`,
    [id],
  );
  return found.rows[0]?.at ?? null;
}

/** How long an advance may go without progress before the worker takes it over. */
const stalled_advance_ms = 30_000;

/**
 * Finishes advances a process left `advancing` when it stopped mid-way (its clock made no progress
 * for `stalled_advance_ms`). Each step is safe to run twice: every task claims its rows.
 */
export async function resumeAdvances(deps: BillingDeps, now: Date): Promise<number> {
  const found = await deps.pool.query<{ id: string }>(
    "SELECT id FROM test_clocks WHERE status = 'advancing' AND updated_at < $1 ORDER BY id",
    [new Date(now.getTime() - stalled_advance_ms)],
  );
  for (const { id } of found.rows) await finishAdvance(deps, id, now);
  return found.rows.length;
}
