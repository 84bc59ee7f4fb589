import type { Queryable } from '../db/pool.js';

/**
 * Whose time a timed task runs in. The worker runs in real time and leaves alone what belongs to a
 * holder with a test clock; advancing a clock runs the same tasks in its time, for its holders only.
 */
export type ClockScope = { readonly test_clock_id: string | null };

export const real_time: ClockScope = { test_clock_id: null };

/**
 * The SQL condition that the wallet in `wallet_column` belongs to the scope: to no clocked holder
 * (real time), or to a holder of the scope's clock, given as parameter `$param`.
 */
export function walletInScope(wallet_column: string, scope: ClockScope, param: number): string {
  const clocked = `SELECT 1 FROM accounts clock_a JOIN holders clock_h ON clock_h.id = clock_a.holder_id
    WHERE clock_a.id = ${wallet_column} AND clock_h.test_clock_id`;
  return scope.test_clock_id === null
    ? `NOT EXISTS (${clocked} IS NOT NULL)`
    : `EXISTS (${clocked} = $${param})`;
}

/** The parameter `walletInScope` refers to, if any: append it to the query's parameters. */
export function scopeParams(scope: ClockScope): string[] {
  return scope.test_clock_id === null ? [] : [scope.test_clock_id];
}

/**
 * The time a wallet lives in: its holder's test clock's frozen time, or `now`. Only test mode has
 * clocks, so a live wallet costs no query.
 */
export async function walletTime(
  db: Queryable,
  livemode: boolean,
  wallet_id: string,
  now: Date,
): Promise<Date> {
  if (livemode) return now;
  const found = await db.query<{ frozen_time: Date }>(
    `SELECT c.frozen_time FROM accounts a JOIN holders h ON h.id = a.holder_id JOIN test_clocks c ON c.id = h.test_clock_id
     WHERE a.id = $1`,
    [wallet_id],
  );
  return found.rows[0]?.frozen_time ?? now;
}
