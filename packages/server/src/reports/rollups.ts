import { inTransaction, type Pool } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { overviewFacts } from './overview-facts.js';

/**
 * Folds sequenced events into `daily_rollups`, in `position` order, a batch per transaction.
 *
 * Why position and not created_at: rows do not commit in created_at order (group commit, long
 * transactions), so a created_at watermark would skip a row that commits after the fold passed its
 * time. The sequencer numbers events only once they are visible, gap-free and in commit order
 * (events/sequencer.ts), so `position > cursor` never skips one. The day a fact counts for is its
 * event's created_at, so a late row still lands on its own day. The cursor moves in the same
 * transaction as the totals it covers, so a reader sees both or neither (overview.ts). The
 * cursor's row lock makes one fold at a time: a process that finds it taken skips its round, so
 * the task needs no advisory lock (and no second connection to hold one).
 *
 * Sequential and bitmap scans are off for the fold's transaction, as for the sequencer: the batch
 * is an ordered index scan of `events_position` under a LIMIT, and each object is one primary-key
 * probe, whatever the planner's statistics say about the tables' sizes.
 *
 * Returns how many events it read (folded or not counted).
 */
export async function foldEvents(pool: Pool, batch_max: number, rounds_max: number): Promise<number> {
  assert(batch_max > 0 && rounds_max > 0, 'fold limits must be positive');
  let total = 0;
  for (let round = 0; round < rounds_max; round += 1) {
    const read = await inTransaction(pool, async (db) => {
      await db.query('SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off');
      // Locked by another process's fold: it is folding these events; skip this round.
      const cursor = await db.query<{ position: string }>(
        "SELECT position FROM rollup_cursors WHERE name = 'overview' FOR UPDATE SKIP LOCKED",
      );
      const from = cursor.rows[0]?.position;
      if (from === undefined) return 0;
      const folded = await db.query<{ events: string }>(fold_statement, [from, batch_max]);
      return Number(folded.rows[0]?.events ?? 0);
    });
    total += read;
    if (read < batch_max) break;
  }
  return total;
}

/**
 * One statement: pick the next batch, add its facts to the day rows, move the cursor to the last
 * position picked. The INSERT runs once whether or not the outer statement reads it.
 */
const fold_statement = `
  WITH picked AS MATERIALIZED (
    SELECT position, livemode, type, object_id, created_at FROM events
    WHERE position > $1 ORDER BY position LIMIT $2
  ), facts AS (${overviewFacts('picked')}
  ), folded AS (
    INSERT INTO daily_rollups (livemode, day, metric, asset, count, amount)
    SELECT livemode, day, metric, asset, count(*), sum(amount) FROM facts GROUP BY livemode, day, metric, asset
    ON CONFLICT (livemode, day, metric, asset) DO UPDATE
      SET count = daily_rollups.count + EXCLUDED.count, amount = daily_rollups.amount + EXCLUDED.amount
  ), moved AS (
    UPDATE rollup_cursors SET position = (SELECT max(position) FROM picked)
    WHERE name = 'overview' AND EXISTS (SELECT 1 FROM picked)
  )
  SELECT count(*)::text AS events FROM picked`;
