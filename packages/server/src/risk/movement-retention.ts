import type { Queryable } from '../db/pool.js';
import { rule_window_s_max } from './schemas.js';

/**
 * How long movement_log keeps a movement: the longest window a risk rule may count (a velocity
 * `window_s`, a new wallet's `wallet_age_s`, a calendar month for the KYC tier limits are all at
 * most `rule_window_s_max`), plus a day for a clock that moves between processes. Nothing older is
 * ever read, so nothing older is kept: the log grows with the traffic of one year, not of all time.
 */
export const movement_retention_s = rule_window_s_max + 86_400;
/** Rows deleted per statement, so one round never holds long locks or a long transaction. */
const movements_deleted_per_statement = 10_000;

/**
 * Deletes movements past `movement_retention_s`, one API key at a time through the log's
 * (api_key_id, created_at) index (every movement has a key), in bounded statements. Returns how
 * many went.
 */
export async function purgeOldMovements(db: Queryable, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - movement_retention_s * 1000);
  const keys = await db.query<{ id: string }>('SELECT id FROM api_keys');
  let deleted = 0;
  for (const key of keys.rows) {
    for (;;) {
      const result = await db.query(
        `DELETE FROM movement_log WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM movement_log WHERE api_key_id = $1 AND created_at < $2 LIMIT $3))`,
        [key.id, cutoff, movements_deleted_per_statement],
      );
      deleted += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < movements_deleted_per_statement) break;
    }
  }
  return deleted;
}
