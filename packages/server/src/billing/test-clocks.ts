import type { Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { fail, ok, type Result } from '../shared/result.js';
import { parseTimestamp } from '../shared/time.js';

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

/**
 * A clock stays before 2200: periods counted from it (a yearly plan, years of renewals) must end
 * before 9999, the last year a timestamp of the API can name.
 */
const frozen_time_max = new Date('2200-01-01T00:00:00Z');

function clockTime(text: string): Date | undefined {
  const at = parseTimestamp(text);
  return at === undefined || at >= frozen_time_max ? undefined : at;
}

function outOfRange() {
  return domainError(
    'invalid_request',
    `frozen_time must be a timestamp before ${frozen_time_max.toISOString()}.`,
    'frozen_time',
  );
}

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
  const frozen = clockTime(input.frozen_time);
  if (frozen === undefined) return fail(outOfRange());
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
  const to = clockTime(to_text);
  if (to === undefined) return fail(outOfRange());
  if (to <= clock.frozen_time)
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
