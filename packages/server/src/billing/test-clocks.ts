import type { Queryable } from '../db/pool.js';
import { inTransaction } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { fail, ok, type Result } from '../shared/result.js';
import { parseTimestamp } from '../shared/time.js';
import { type BillingDeps, type ClockScope, renewDue, retryDue } from './renewals.js';

export interface TestClockRow {
  id: string;
  livemode: boolean;
  name: string | null;
  frozen_time: Date;
  status: 'ready' | 'advancing';
  advancing_to: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function testClockView(row: TestClockRow) {
  return {
    id: row.id,
    object: 'test_clock' as const,
    livemode: row.livemode,
    name: row.name,
    frozen_time: row.frozen_time.toISOString(),
    status: row.status,
    advancing_to: row.advancing_to?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}

export type TestClockView = ReturnType<typeof testClockView>;

/** The most steps (distinct due times) one advance runs: ten years of daily renewals fit. */
const advance_steps_max = 5_000;
/** Rounds of batches at one time of the clock, at most. */
const advance_rounds_max = 1_000;
/** Renewals or retries per transaction while advancing. */
const advance_batch_max = 200;

function testModeOnly(livemode: boolean): Result<never> | undefined {
  return livemode ? fail(domainError('test_mode_only', 'Test clocks exist in test mode only.')) : undefined;
}

export async function createTestClock(
  db: Queryable,
  livemode: boolean,
  input: { frozen_time: string; name?: string | undefined },
  now: Date,
): Promise<Result<TestClockView>> {
  const refused = testModeOnly(livemode);
  if (refused !== undefined) return refused;
  const frozen = parseTimestamp(input.frozen_time);
  if (frozen === undefined)
    return fail(domainError('invalid_request', 'frozen_time is not a timestamp.', 'frozen_time'));
  const inserted = await db.query<TestClockRow>(
    `INSERT INTO test_clocks (id, livemode, name, frozen_time, status, created_at, updated_at)
     VALUES ($1, false, $2, $3, 'ready', $4, $4) RETURNING *`,
    [newId('test_clock', now.getTime()), input.name ?? null, frozen, now],
  );
  assert(inserted.rows[0] !== undefined, 'inserted test clock');
  return ok(testClockView(inserted.rows[0]));
}

export async function findTestClock(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<TestClockRow | undefined> {
  if (livemode) return undefined;
  const found = await db.query<TestClockRow>('SELECT * FROM test_clocks WHERE id = $1', [id]);
  return found.rows[0];
}

/**
 * Starts moving a clock to `frozen_time`: only forward, only from `ready`. The clock is
 * `advancing` from this commit on, so nothing else advances it or creates objects in it meanwhile.
 */
export async function startAdvance(
  db: Queryable,
  livemode: boolean,
  id: string,
  to_text: string,
  now: Date,
): Promise<Result<TestClockView>> {
  const refused = testModeOnly(livemode);
  if (refused !== undefined) return refused;
  const found = await db.query<TestClockRow>('SELECT * FROM test_clocks WHERE id = $1 FOR UPDATE', [id]);
  const clock = found.rows[0];
  if (clock === undefined) return fail(notFound('test clock', id));
  if (clock.status === 'advancing')
    return fail(domainError('test_clock_advancing', `Test clock ${id} is still advancing.`));
  const to = parseTimestamp(to_text);
  if (to === undefined || to <= clock.frozen_time)
    return fail(
      domainError(
        'invalid_request',
        "frozen_time must be later than the clock's frozen_time.",
        'frozen_time',
      ),
    );
  const updated = await db.query<TestClockRow>(
    "UPDATE test_clocks SET status = 'advancing', advancing_to = $2, updated_at = $3 WHERE id = $1 RETURNING *",
    [id, to, now],
  );
  assert(updated.rows[0] !== undefined, 'clock exists');
  const view = testClockView(updated.rows[0]);
  await recordEvents(db, [eventOf('test_clock.advancing', view)], now);
  return ok(view);
}

/**
 * Runs everything that falls due between the clock's time and where it is going, in time order:
 * at each next due time the clock stands there while that time's renewals and retries run (each
 * batch its own transaction), so an invoice written at a period's end is dated then and a retry
 * three days later sees what happened in between. The clock's time is saved after each step: a
 * crash resumes from there (the worker finishes advances it finds still `advancing`). Ends `ready`.
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
    // Until nothing is due at this time: each renewal or retry moves past `at`; the bound is a guard.
    for (let round = 0; round < advance_rounds_max; round += 1) {
      const ran =
        (await renewDue(deps, scope, at, advance_batch_max)) +
        (await retryDue(deps, scope, at, advance_batch_max));
      if (ran === 0) break;
    }
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

/** The earliest time anything of this clock falls due: a renewal or a retry. */
async function nextDue(db: Queryable, id: string): Promise<Date | null> {
  const found = await db.query<{ at: Date | null }>(
    `SELECT least(
       (SELECT min(current_period_end) FROM subscriptions
        WHERE test_clock_id = $1 AND status IN ('trialing', 'active', 'past_due')),
       (SELECT min(next_payment_attempt) FROM invoices WHERE test_clock_id = $1 AND next_payment_attempt IS NOT NULL)
     ) AS at`,
    [id],
  );
  return found.rows[0]?.at ?? null;
}

/** How long an advance may go without progress before the worker takes it over. */
const stalled_advance_ms = 30_000;

/**
 * Finishes advances a process left `advancing` when it stopped mid-way (its clock made no progress
 * for `stalled_advance_ms`). Each step is safe to run twice: renewals and retries claim their rows.
 */
export async function resumeAdvances(deps: BillingDeps, now: Date): Promise<number> {
  const found = await deps.pool.query<{ id: string }>(
    "SELECT id FROM test_clocks WHERE status = 'advancing' AND updated_at < $1 ORDER BY id",
    [new Date(now.getTime() - stalled_advance_ms)],
  );
  for (const { id } of found.rows) await finishAdvance(deps, id, now);
  return found.rows.length;
}

/** The time a holder lives in: its test clock's, or `now`. An advancing clock refuses new objects. */
export async function holderTime(
  db: Queryable,
  holder_id: string,
  now: Date,
): Promise<Result<{ now: Date; test_clock_id: string | null }>> {
  const found = await db.query<{
    test_clock_id: string | null;
    frozen_time: Date | null;
    status: string | null;
  }>(
    `SELECT h.test_clock_id, c.frozen_time, c.status FROM holders h LEFT JOIN test_clocks c ON c.id = h.test_clock_id
     WHERE h.id = $1`,
    [holder_id],
  );
  const row = found.rows[0];
  if (row === undefined || row.test_clock_id === null || row.frozen_time === null)
    return ok({ now, test_clock_id: null });
  if (row.status === 'advancing')
    return fail(
      domainError('test_clock_advancing', `The holder's test clock ${row.test_clock_id} is advancing.`),
    );
  return ok({ now: row.frozen_time, test_clock_id: row.test_clock_id });
}
