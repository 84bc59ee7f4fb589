import { type ClockScope, real_time, scopeParams, walletInScope } from '../clocks/scope.js';
import { type Client, inTransaction, type Pool } from '../db/pool.js';
import { escrowSettleMovements } from '../guard/movements-of.js';
import { screenMovements, unattendedRequest } from '../guard/screen.js';
import { screenAndApply } from '../requests/screening.js';
import { enabledRules } from '../risk/rules.js';
import { assert } from '../shared/assert.js';
import { ok, type Result } from '../shared/result.js';
import { settleRemaining, transition } from './transitions.js';
import type { EscrowRow } from './view.js';

/** How long the worker waits before trying again an automatic action the ledger or a rule refused. */
export const auto_retry_s = 3_600;

/** Held escrows whose automatic date has come by `now` (a query parameter) and whose retry time has passed. */
function dueAt(now: string): string {
  return `status = 'held' AND (auto_release_at <= ${now} OR auto_refund_at <= ${now}) AND (auto_retry_at IS NULL OR auto_retry_at <= ${now})`;
}

type Toward = 'payee' | 'payer';

/**
 * Releases or refunds up to `limit` held escrows whose automatic date has come, each in its own
 * transaction; returns how many it settled. Each row is claimed FOR UPDATE SKIP LOCKED and the
 * action is written in the same transaction as the claim: a second worker skips what the first
 * holds, and once it commits the row is no longer `held`, so no escrow is ever settled twice.
 * Disputed escrows are not `held`, so their date is skipped until they are resumed. When the
 * ledger (a frozen or closed wallet) or a risk rule refuses, the escrow stays held and is tried
 * again `auto_retry_s` later; an operator may settle it by hand meanwhile.
 */
export async function settleDueEscrows(
  pool: Pool,
  now: Date,
  limit: number,
  scope: ClockScope = real_time,
): Promise<number> {
  // An escrow's automatic dates are set when it is created and never change.
  const due = await pool.query<{ id: string; livemode: boolean; toward: Toward }>(
    `SELECT id, livemode, CASE WHEN auto_release_at IS NULL THEN 'payer' ELSE 'payee' END AS toward
     FROM escrows WHERE ${dueAt('$1')} AND ${walletInScope('escrows.payer_wallet_id', scope, 3)}
     ORDER BY coalesce(auto_release_at, auto_refund_at), id LIMIT $2`,
    [now, limit, ...scopeParams(scope)],
  );
  let settled = 0;
  for (const escrow of due.rows) settled += await inTransaction(pool, (db) => settleOne(db, escrow, now));
  return settled;
}

/**
 * Screens the automatic settlement by the risk rules of its mode, as a request would be screened
 * (no key asks for it, so no restrictions or spend policy apply; the escrow stands in for the key
 * in velocity counts and risk decisions), then claims and settles the escrow. The rules' locks are
 * taken before the escrow's row and its accounts, in a request's order, so the worker and a request
 * never wait on each other in opposite orders. A block, or a review (no key could approve it),
 * settles nothing and records the decisions against the escrow.
 */
async function settleOne(
  db: Client,
  { id, livemode, toward }: { id: string; livemode: boolean; toward: Toward },
  now: Date,
): Promise<number> {
  const guard = unattendedRequest({ livemode, object_id: id, now }, 'escrow.auto_settle', { id }, {});
  const applied = await screenAndApply(
    db,
    'auto_settle',
    async () => {
      const rules = await enabledRules(db, livemode);
      if (rules.length === 0) return { verdict: 'proceed', after: async () => undefined };
      const movements = await escrowSettleMovements(db, livemode, id, toward);
      return screenMovements(db, guard, rules, movements, (row: EscrowRow | null) => [row?.id]);
    },
    () => claimAndSettle(db, id, toward, now),
  );
  assert(applied.verdict !== 'park', 'an automatic settlement is refused, never parked');
  if (applied.verdict === 'ran' && applied.result.ok) return applied.result.value === null ? 0 : 1;
  // Refused by a rule or by the ledger: held, and tried again later.
  await db.query(`UPDATE escrows SET auto_retry_at = $2 WHERE id = $1 AND ${dueAt('$3')}`, [
    id,
    new Date(now.getTime() + auto_retry_s * 1000),
    now,
  ]);
  return 0;
}

/** Settles the escrow if it is still due and no other worker holds it; null when it is not. */
async function claimAndSettle(
  db: Client,
  id: string,
  toward: Toward,
  now: Date,
): Promise<Result<EscrowRow | null>> {
  const claimed = await db.query<EscrowRow>(
    `SELECT * FROM escrows WHERE id = $1 AND ${dueAt('$2')} FOR UPDATE SKIP LOCKED`,
    [id, now],
  );
  const row = claimed.rows[0];
  if (row === undefined) return ok(null);
  const reason = toward === 'payee' ? 'escrow.auto_released' : 'escrow.auto_refunded';
  return transition(db, row, settleRemaining(row, toward), reason, now);
}
