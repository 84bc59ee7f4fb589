import { assetScale } from '../assets/service.js';
import { detokenizeInstrument } from '../crypto/tokens.js';
import type { Client } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { recordRowEvents } from '../events/index.js';
import type { PayoutDestination, RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import { fail, type Result } from '../shared/result.js';
import { returnToWallet } from './lifecycle.js';
import { createPayout, getPayout } from './service.js';
import { type PayoutRow, type PayoutView, payoutView } from './view.js';

/**
 * Why a payout has already left Purse, or undefined while it has not. It has left once its rail
 * holds it: no longer pending (the sandbox's first step, "accepted", makes it in_transit; a
 * pain.001 file does too), in a bank file, or with a signed EVM transaction (signing takes the
 * payout's row lock, so under ours it cannot happen meanwhile).
 */
async function whereItWent(db: Client, row: PayoutRow): Promise<string | undefined> {
  if (row.status !== 'pending') return `it is ${row.status}`;
  if (row.file_id !== null) return `it is in pain.001 file ${row.file_id}`;
  if (row.rail !== 'crypto') return undefined;
  const signed = await db.query(
    "SELECT 1 FROM evm_transactions WHERE purpose = 'payout' AND reference_id = $1 LIMIT 1",
    [row.id],
  );
  return signed.rows.length > 0 ? 'its transaction is already signed for the chain' : undefined;
}

/**
 * Cancels a payout that has not left Purse: under its row lock, its money goes back to the wallet
 * (a converted payout's conversion reversed, as a failure does) and it becomes `canceled`, in one
 * transaction, so a rail report racing it either finds it canceled (a no-op) or wins and makes the
 * cancel a 409. Anything that has left is `invalid_state`, and nothing changes.
 */
export async function cancelPayout(ctx: RailContext, id: string): Promise<Result<PayoutView>> {
  const { db, livemode, now } = ctx;
  const row = await rowById<PayoutRow>(db, 'payouts', livemode, id, { for_update: true });
  if (row === undefined) return fail(notFound('payout', id, 'id'));
  const gone = await whereItWent(db, row);
  if (gone !== undefined)
    return fail(
      domainError(
        'invalid_state',
        `Payout ${id} cannot be canceled: ${gone}. Only a pending payout not yet handed to its rail can be.`,
      ),
    );
  const returned = await returnToWallet(db, row, 'payout.canceled', now);
  if (!returned.ok) return returned;
  const updated = await db.query<PayoutRow>(
    `UPDATE payouts SET status = 'canceled', canceled_at = $2, updated_at = $2
     WHERE id = $1 AND status = 'pending' RETURNING *`,
    [id, now],
  );
  assert(updated.rows.length === 1, 'a locked pending payout is canceled once');
  await recordRowEvents(db, updated.rows, payoutView, () => 'payout.canceled', now);
  return getPayout(db, livemode, id);
}

/** Why a payout cannot be retried, or undefined when it can. */
function whyNoRetry(row: PayoutRow): string | undefined {
  if (row.status !== 'failed' && row.status !== 'returned')
    return `it is ${row.status}; only a failed or returned payout can be retried`;
  if (row.retried_by !== null) return `it was already retried by ${row.retried_by}`;
  if (row.conversion_id !== null)
    return "it converted on its way at a quote's rate; make a new payout with a fresh quote_id";
  return undefined;
}

/**
 * Retries a failed or returned payout as a NEW payout (the old one stays as it ended): same wallet,
 * amount, currency and destination, the destination read back from its token, never asked for
 * again. The rail decides afresh; the wallet pays again (insufficient_funds if it cannot). The two
 * are linked both ways (retry_of, retried_by) under the old one's row lock, so it is retried once.
 */
export async function retryPayout(ctx: RailContext, id: string): Promise<Result<PayoutView>> {
  const { db, livemode, now } = ctx;
  const row = await rowById<PayoutRow>(db, 'payouts', livemode, id, { for_update: true });
  if (row === undefined) return fail(notFound('payout', id, 'id'));
  const why = whyNoRetry(row);
  if (why !== undefined) return fail(domainError('invalid_state', `Payout ${id} cannot be retried: ${why}.`));
  const scale = await assetScale(db, livemode, row.asset, 'id');
  if (!scale.ok) return scale;
  const destination = await detokenizeInstrument<PayoutDestination>(db, livemode, row.destination);
  const input = {
    wallet_id: row.wallet_id,
    amount: formatAmount(minorFromDb(row.amount), scale.value),
    currency: row.asset,
    destination,
    ...(row.description === null ? {} : { description: row.description }),
    metadata: row.metadata,
  };
  const created = await createPayout(ctx, input, { retry_of: id });
  // The request names no field: a refusal (insufficient funds, a closed wallet) is about the payout.
  if (!created.ok) return fail(domainError(created.error.code, created.error.detail));
  await db.query('UPDATE payouts SET retried_by = $2, updated_at = $3 WHERE id = $1', [
    id,
    created.value.id,
    now,
  ]);
  assert(created.value.retry_of === id, 'the new payout names the one it retries');
  return created;
}
