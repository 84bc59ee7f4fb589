import { expect } from 'vitest';
import { verifyLedger } from '../ledger/verify.js';
import type { TestApp } from './app.js';
import { funded, newWallet } from './money.js';

/** POST /v1/escrows in USD with the test key. */
export function postEscrow(t: TestApp, payload: Record<string, unknown>, key?: string) {
  return t.request({
    method: 'POST',
    url: '/v1/escrows',
    payload: { currency: 'USD', ...payload },
    ...(key === undefined ? {} : { key }),
  });
}

/** POST /v1/escrows/:id/<action>, with a body when given. */
export function escrowAction(
  t: TestApp,
  id: string,
  action: 'release' | 'cancel' | 'dispute' | 'resolve',
  payload?: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return t.request({
    method: 'POST',
    url: `/v1/escrows/${id}/${action}`,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
}

export interface EscrowParties {
  readonly payer: string;
  readonly payee: string;
}

/** A payer funded with `funds` and an empty payee wallet. */
export async function parties(t: TestApp, funds = '100.00'): Promise<EscrowParties> {
  return { payer: await funded(t, funds), payee: await newWallet(t) };
}

/** Creates an escrow from payer to payee and returns its body (201 asserted). */
export async function escrowOf(
  t: TestApp,
  { payer, payee }: EscrowParties,
  amount: string,
  extra: Record<string, unknown> = {},
): Promise<{ id: string; [field: string]: unknown }> {
  const response = await postEscrow(t, { payer_wallet_id: payer, payee_wallet_id: payee, amount, ...extra });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

/** Ledger entries written for an escrow, by reason, oldest first. */
export async function escrowEntries(t: TestApp, escrow_id: string): Promise<string[]> {
  const result = await t.db.pool.query<{ reason: string }>(
    'SELECT reason FROM ledger_transactions WHERE reference_id = $1 ORDER BY created_at, id',
    [escrow_id],
  );
  return result.rows.map((row) => row.reason);
}

/**
 * Money is conserved: the ledger verifies, and each escrow account holds exactly what the open
 * (held or disputed) escrows of its asset and mode still have.
 */
export async function expectEscrowBooksBalance(t: TestApp): Promise<void> {
  expect(await verifyLedger(t.db.pool)).toEqual([]);
  const mismatched = await t.db.pool.query(
    `WITH open AS (
       SELECT escrow_account_id, sum(amount - released_amount - refunded_amount) AS remaining
       FROM escrows WHERE status IN ('held', 'disputed') GROUP BY escrow_account_id)
     SELECT a.id, a.posted_credits - a.posted_debits AS balance, coalesce(o.remaining, 0) AS remaining
     FROM accounts a LEFT JOIN open o ON o.escrow_account_id = a.id
     WHERE a.kind = 'system' AND a.purpose = 'escrow'
       AND (a.posted_credits - a.posted_debits <> coalesce(o.remaining, 0) OR a.pending_debits + a.pending_credits <> 0)`,
  );
  expect(mismatched.rows).toEqual([]);
}
