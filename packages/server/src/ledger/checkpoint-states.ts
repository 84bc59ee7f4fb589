import type { Queryable } from '../db/pool.js';
import type { Checkpoint } from './checkpoints.js';
import type { Violation } from './verify.js';
import { placeable, xid_distance_max, xid32 } from './verify-changed.js';

/** How many states written since a checkpoint a violation names, at most. */
const named_states_max = 20;

/**
 * The account states a checkpoint's digest does not cover (migration 0049: it covers those it
 * wrote) are vouched for by their row versions: none may have been written after the checkpoint's
 * snapshot but by a checkpoint's own transaction. A write there (a tamperer's UPDATE or INSERT) is a
 * row whose xmin is at least the snapshot's xmin, and is named. A checkpoint too far back for
 * 32-bit transaction ids to be placed cannot vouch for anything: the run must start over.
 */
export async function statesWrittenSince(db: Queryable, checkpoint: Checkpoint): Promise<Violation[]> {
  const result = await db.query<{ placeable: boolean; account_id: string | null; xmin: string | null }>(
    `WITH k AS (SELECT seq, snapshot_xmin, ${xid32('snapshot_xmin')} AS xmin32,
         ${placeable('snapshot_xmin', '$2')} AS placeable
       FROM ledger_checkpoints WHERE seq = $1)
     SELECT k.placeable, s.account_id, s.xmin FROM k LEFT JOIN LATERAL (
       SELECT c.account_id, c.xmin::text AS xmin FROM ledger_checkpoint_accounts c
       WHERE k.placeable AND age(c.xmin) <= age(k.xmin32)
         AND NOT EXISTS (SELECT 1 FROM ledger_checkpoints w WHERE w.seq <= k.seq AND w.xact_id >= k.snapshot_xmin
           AND c.xmin = ${xid32('w.xact_id')})
       ORDER BY c.account_id LIMIT $3) s ON true`,
    [checkpoint.seq, xid_distance_max.toString(), named_states_max],
  );
  const problem = (detail: string): Violation => ({
    check: 'checkpoint_matches_digest',
    subject: checkpoint.id,
    detail,
  });
  if (result.rows[0]?.placeable !== true)
    return [
      problem(
        `checkpoint ${checkpoint.seq} is more than ${xid_distance_max} transactions back, too far to tell which account states were written since: run \`purse verify --full\``,
      ),
    ];
  return result.rows
    .filter((row) => row.account_id !== null)
    .map((row) =>
      problem(
        `the checkpointed state of account ${row.account_id} was written after checkpoint ${checkpoint.seq}, by transaction ${row.xmin}, which is not \`purse verify\``,
      ),
    );
}
