import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { Queryable } from '../db/pool.js';
import { findWallet, systemAccountId } from '../ledger/accounts.js';
import type { WriteContext } from '../ledger/context.js';
import { writeEntries } from '../ledger/write.js';
import { chargeSandboxCard } from '../rails/card-sandbox.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { formatAmount, minorFromDb, parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { CreatePaymentBody, Payment } from './schemas.js';

type PaymentView = Static<typeof Payment>;

interface PaymentRow {
  id: string;
  livemode: boolean;
  status: PaymentView['status'];
  wallet_id: string;
  asset: string;
  amount: string;
  source: PaymentView['source'];
  failure_code: string | null;
  description: string | null;
  metadata: Record<string, string>;
  created_at: Date;
}

function paymentView(row: PaymentRow, scale: number): PaymentView {
  return {
    id: row.id,
    object: 'payment',
    livemode: row.livemode,
    status: row.status,
    wallet_id: row.wallet_id,
    amount: formatAmount(minorFromDb(row.amount), scale),
    currency: row.asset,
    source: row.source,
    failure_code: row.failure_code,
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
  };
}

/**
 * A card pay-in into a wallet. In test mode the sandbox card rail decides at once; an approved
 * charge moves the money from the card rail's clearing account into the wallet in one ledger
 * entry. Live mode has no card processor yet (rail_unavailable).
 */
export async function createPayment(
  ctx: WriteContext,
  input: Static<typeof CreatePaymentBody>,
): Promise<Result<PaymentView>> {
  const { db, livemode, limits, now } = ctx;
  if (livemode)
    return fail(domainError('rail_unavailable', 'No live card processor is configured.', 'source.type'));
  const wallet = await findWallet(db, livemode, input.wallet_id);
  if (wallet === undefined) return fail(notFound('wallet', input.wallet_id, 'wallet_id'));
  if (wallet.asset !== input.currency) {
    return fail(
      domainError(
        'currency_mismatch',
        `Wallet ${wallet.id} holds ${wallet.asset}, not ${input.currency}.`,
        'currency',
      ),
    );
  }
  const scale = await assetScale(db, livemode, input.currency, 'currency');
  if (!scale.ok) return scale;
  const amount = parseAmount(input.amount, scale.value, 'amount');
  if (!amount.ok) return amount;
  const metadata = checkMetadata(input.metadata ?? {}, limits);
  if (!metadata.ok) return metadata;
  const charge = chargeSandboxCard(input.source.number);
  if (!charge.ok) return charge;
  const id = newId('payment', now.getTime());
  const clearing = await systemAccountId(ctx.pool, livemode, input.currency, 'rail_clearing:card');
  const [outcome] = await writeEntries(
    db,
    [
      {
        livemode,
        reason: 'payment.succeeded',
        reference_id: id,
        movements: [{ from: clearing, to: wallet.id, amount_minor: amount.value, layer: 'posted' }],
      },
    ],
    now,
  );
  assert(outcome !== undefined, 'one entry, one outcome');
  if (!outcome.ok) return fail({ ...outcome.error, param: 'wallet_id' });
  const result = await db.query<PaymentRow>(
    `INSERT INTO payments (id, livemode, status, wallet_id, asset, amount, source, description, metadata, created_at, updated_at)
     VALUES ($1, $2, 'succeeded', $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *`,
    [
      id,
      livemode,
      wallet.id,
      input.currency,
      amount.value.toString(),
      { type: 'card', ...charge.value },
      input.description ?? null,
      metadata.value,
      now,
    ],
  );
  const row = result.rows[0];
  assert(row !== undefined, 'inserted payment');
  return ok(paymentView(row, scale.value));
}

export async function getPayment(db: Queryable, livemode: boolean, id: string): Promise<Result<PaymentView>> {
  const result = await db.query<PaymentRow>('SELECT * FROM payments WHERE id = $1 AND livemode = $2', [
    id,
    livemode,
  ]);
  const row = result.rows[0];
  if (row === undefined) return fail(notFound('payment', id));
  const scale = await assetScale(db, livemode, row.asset, 'currency');
  return scale.ok ? ok(paymentView(row, scale.value)) : scale;
}
