import type { Queryable } from '../db/pool.js';
import type { Checkpoint } from './checkpoints.js';

/**
 * Which accounts a run after a checkpoint reads. Every write to an account (its counters, its
 * floor, its status; a tamperer's UPDATE as much as a transfer) makes a new row version, whose
 * xmin is the writing transaction's id. A transaction not yet visible to the checkpoint's snapshot
 * has an id of at least that snapshot's xmin, so a row whose xmin is older is the very version the
 * checkpoint verified. Reading only the others keeps a run's cost with what was written: with
 * 1,000,000 wallets of which 1,000 moved, the checks that read every account took 1.7 s of 2.3
 * (docs/decisions.md, "Verify, ninth round").
 *
 * A row's xmin has 32 bits and wraps around; `age()` places it against the same reference as the
 * checkpoint's, which is exact while the two are less than 2^31 transactions apart (a frozen row
 * keeps its xmin, and one older than that may only come out as changed: read once more, never
 * skipped).
 */

/** Below 2^31, with room for the transactions that start while a run reads. */
export const xid_distance_max = 2_000_000_000n;

/** SQL: the 32-bit transaction id, as a row's xmin holds it, of the xid8 expression `xid8`. */
export function xid32(xid8: string): string {
  return `(${xid8}::text::bigint % 4294967296)::text::xid`;
}

/**
 * SQL: the xid8 expression `xid8` is at most `param` transactions behind this snapshot, so that its
 * 32-bit form and a row's xmin can be placed against each other.
 */
export function placeable(xid8: string, param: string): string {
  return `pg_snapshot_xmax(pg_current_snapshot())::text::bigint - ${xid8}::text::bigint BETWEEN 0 AND ${param}`;
}

/**
 * The 32-bit xmin from which rows count as changed since `checkpoint`, or undefined when every
 * account must be read: a checkpoint from before migration 0047, one too far back for 32-bit
 * transaction ids, or one whose row no longer carries its own transaction's id (the database was
 * restored from a dump, which numbers the transactions anew).
 */
export async function changedFrom(db: Queryable, checkpoint: Checkpoint): Promise<string | undefined> {
  const result = await db.query<{ xmin32: string | null }>(
    `SELECT ${xid32('c.snapshot_xmin')}::text AS xmin32 FROM ledger_checkpoints c
     WHERE c.seq = $1 AND c.xmin = ${xid32('c.xact_id')} AND ${placeable('c.snapshot_xmin', '$2')}`,
    [checkpoint.seq, xid_distance_max.toString()],
  );
  return result.rows[0]?.xmin32 ?? undefined;
}

/** SQL: account `a` is one of the ids in the text[] parameter `param` (a batch, or the changed ones). */
export function idIn(param: string): string {
  return `a.id = ANY(${param}::text[])`;
}

/**
 * SQL: the accounts that may have changed since the xmin `param` (from changedFrom), as `a`. One
 * pass over the table, apart: the planner cannot know how few there are (it guesses a third), and
 * to return them in id order it walked the primary key over every account instead, 0.5 s at
 * 1,000,000 accounts against 0.08.
 */
export function changedAccounts(param: string): string {
  return `(SELECT * FROM accounts WHERE age(xmin) <= age(${param}::text::xid) OFFSET 0) a`;
}
