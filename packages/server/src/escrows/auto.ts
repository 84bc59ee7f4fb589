import type { Client } from '../db/pool.js';
import { settleRemaining, transition } from './transitions.js';
import type { EscrowRow } from './view.js';

/** How long the worker waits before trying again an automatic action the ledger refused. */
export const auto_retry_s = 3_600;

/**
 * Releases or refunds, in the caller's transaction, up to `limit` held escrows whose automatic date
 * has come; returns how many it settled. Rows are claimed FOR UPDATE SKIP LOCKED, and the action
 * is written in the same transaction as the claim: a second worker skips what the first holds,
 * and once it commits the row is no longer `held`, so no escrow is ever settled twice. Disputed
 * escrows are not `held`, so their date is skipped until they are resumed. When the ledger refuses
 * (a frozen or closed wallet), the escrow stays held and is tried again `auto_retry_s` later.
 */
export async function settleDueEscrows(db: Client, now: Date, limit: number): Promise<number> {
  const due = await db.query<EscrowRow>(
    `SELECT * FROM escrows
     WHERE status = 'held' AND (auto_release_at <= $1 OR auto_refund_at <= $1) AND (auto_retry_at IS NULL OR auto_retry_at <= $1)
     ORDER BY coalesce(auto_release_at, auto_refund_at), id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, limit],
  );
  let settled = 0;
  for (const row of due.rows) {
    const toward = row.auto_release_at === null ? 'payer' : 'payee';
    const reason = toward === 'payee' ? 'escrow.auto_released' : 'escrow.auto_refunded';
    const result = await transition(db, row, settleRemaining(row, toward), reason, now);
    if (result.ok) settled += 1;
    else
      await db.query('UPDATE escrows SET auto_retry_at = $2 WHERE id = $1', [
        row.id,
        new Date(now.getTime() + auto_retry_s * 1000),
      ]);
  }
  return settled;
}
