import type { Queryable } from '../db/pool.js';

/**
 * A sanctions block, recorded on the holder when it is blocked (apply.ts blockHolder). It holds
 * while the holder stays `rejected`: a later verification with a clean name does not lift it
 * (its sessions are rejected with sanctions_match). An operator lifts it explicitly by setting the
 * holder's kyc_status (POST /v1/holders/:id, which does not screen without a name); the row is
 * then forgotten at the holder's next decision (forgetLiftedBlock).
 */

/**
 * Whether the holder is blocked by a sanctions match. Takes a share lock on the holder: a
 * concurrent rename that would block it waits for the caller's transaction, and the caller's
 * decision (a verification, a new wallet) cannot slip past a block being written.
 */
export async function isSanctionsBlocked(
  db: Queryable,
  livemode: boolean,
  holder_id: string,
): Promise<boolean> {
  // The lock first, then the look in a statement of its own: it sees a block committed while it waited.
  await db.query('SELECT 1 FROM holders WHERE id = $1 AND livemode = $2 FOR SHARE', [holder_id, livemode]);
  const found = await db.query<{ blocked: boolean }>(
    `SELECT h.kyc_status = 'rejected' AND EXISTS (SELECT 1 FROM sanctions_blocks b WHERE b.holder_id = h.id) AS blocked
     FROM holders h WHERE h.id = $1 AND h.livemode = $2`,
    [holder_id, livemode],
  );
  return found.rows[0]?.blocked ?? false;
}

export async function recordSanctionsBlock(db: Queryable, holder_id: string, now: Date): Promise<void> {
  await db.query(
    'INSERT INTO sanctions_blocks (holder_id, blocked_at) VALUES ($1, $2) ON CONFLICT (holder_id) DO UPDATE SET blocked_at = $2',
    [holder_id, now],
  );
}

/** A block an operator lifted (the holder is no longer rejected) is forgotten, so that a later ordinary rejection does not revive it. */
export async function forgetLiftedBlock(db: Queryable, holder_id: string): Promise<void> {
  await db.query(
    `DELETE FROM sanctions_blocks b USING holders h
     WHERE b.holder_id = $1 AND h.id = b.holder_id AND h.kyc_status <> 'rejected'`,
    [holder_id],
  );
}
