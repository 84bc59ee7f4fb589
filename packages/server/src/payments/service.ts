import type { Static } from '@sinclair/typebox';
import { pageWithScale, viewById } from '../assets/scaled-views.js';
import { assetScale } from '../assets/service.js';
import { isTokenized, tokenizeInstrument } from '../crypto/tokens.js';
import type { Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { enqueueJobs } from '../jobs/queue.js';
import { findWallet } from '../ledger/accounts.js';
import { type LegScope, resolveAskedLegs, resolveFee } from '../ledger/legs.js';
import { depositAddress } from '../rails/deposit-addresses.js';
import { payIn, type RailContext } from '../rails/index.js';
import type { PayInAccepted } from '../rails/rail.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { parseAmount } from '../shared/money.js';
import { type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { creditPayment } from './credit.js';
import { paymentStepJobs } from './lifecycle.js';
import type { CreatePaymentBody, PaymentListQuery } from './schemas.js';
import { type PaymentRow, type PaymentView, paymentView } from './view.js';

export type CreatePaymentInput = Static<typeof CreatePaymentBody>;

/**
 * A pay-in into a wallet through a rail, with an optional platform fee and splits. The rail
 * decides at once (a card) or later (a bank debit, a crypto deposit waiting for confirmations);
 * the money moves, all legs in one ledger entry, only when the payment succeeds. A refused card is
 * a payment in status `failed` with its `failure_code`, as a bank debit that fails later is.
 */
export async function createPayment(
  ctx: RailContext,
  input: CreatePaymentInput,
  /** What the rail already reported, for money it found arriving (a deposit the chain watcher saw). */
  observed?: PayInAccepted,
): Promise<Result<PaymentView>> {
  const { db, livemode, now } = ctx;
  const wallet = await findWallet(db, livemode, input.wallet_id);
  if (wallet === undefined) return fail(notFound('wallet', input.wallet_id, 'wallet_id'));
  if (wallet.status !== 'active')
    return fail(
      domainError(
        wallet.status === 'frozen' ? 'wallet_frozen' : 'wallet_closed',
        `Wallet ${wallet.id} is ${wallet.status}.`,
        'wallet_id',
      ),
    );
  if (wallet.asset !== input.currency)
    return fail(
      domainError(
        'currency_mismatch',
        `Wallet ${wallet.id} holds ${wallet.asset}, not ${input.currency}.`,
        'currency',
      ),
    );
  const prepared = await preparePayment(ctx, input);
  if (!prepared.ok) return prepared;
  const address =
    input.source.type === 'crypto'
      ? (await depositAddress(db, livemode, wallet.id, input.source.network, now, ctx.rails.evm)).address
      : '';
  const decision =
    observed === undefined ? payIn(ctx.rails, livemode, input.source, input.currency, address) : ok(observed);
  if (!decision.ok) return decision;
  // The number stays behind a token; the payment shows its last four digits and the token.
  const stored = await tokenizeInstrument(db, livemode, input.source, now);
  const source_view = isTokenized(stored)
    ? { ...decision.value.source_view, token: stored.token }
    : decision.value.source_view;
  const row = await insertPayment(
    db,
    { ...prepared.value, id: newId('payment', now.getTime()) },
    { ...decision.value, source_view },
    now,
  );
  await enqueueJobs(db, paymentStepJobs(row.id, decision.value.steps, now), now);
  if (row.status !== 'succeeded')
    return ok(await paymentEvent(db, paymentView(row, prepared.value.scale), now));
  const credited = await creditPayment(db, row, now);
  if (!credited.outcome.ok) return fail({ ...credited.outcome.error, param: 'wallet_id' });
  const updated = await db.query<PaymentRow>(
    'UPDATE payments SET settles_at = $2, settled_at = $3 WHERE id = $1 RETURNING *',
    [row.id, credited.settles_at, credited.settled_at],
  );
  assert(updated.rows[0] !== undefined, 'payment exists');
  return ok(await paymentEvent(db, paymentView(updated.rows[0], prepared.value.scale), now));
}

/** Records the payment's event for its status (processing, succeeded, failed) and returns it. */
async function paymentEvent(db: Queryable, view: PaymentView, now: Date): Promise<PaymentView> {
  await recordEvents(db, [eventOf(`payment.${view.status}`, view)], now);
  return view;
}

type PreparedPayment = Omit<
  PaymentRow,
  | 'id'
  | 'status'
  | 'rail'
  | 'source'
  | 'failure_code'
  | 'confirmations'
  | 'confirmations_required'
  | 'settles_at'
  | 'settled_at'
  | 'created_at'
  | 'updated_at'
  | 'refunded_amount'
  | 'refunded_parts'
> & { scale: number };

/** Checks amounts, fee and splits and resolves them to the exact amount each account receives. */
async function preparePayment(ctx: RailContext, input: CreatePaymentInput): Promise<Result<PreparedPayment>> {
  const { db, livemode, limits } = ctx;
  const scale = await assetScale(db, livemode, input.currency, 'currency');
  if (!scale.ok) return scale;
  const amount = parseAmount(input.amount, scale.value, 'amount');
  if (!amount.ok) return amount;
  const metadata = checkMetadata(input.metadata ?? {}, limits);
  if (!metadata.ok) return metadata;
  const scope: LegScope = {
    currency: input.currency,
    scale: scale.value,
    wallets: await walletAssets(db, livemode, input),
    payer_wallet_id: undefined,
    prefix: 'splits',
  };
  const fee = await resolveFee(livemode, input.fee, amount.value, scope);
  if (!fee.ok) return fee;
  const asked = [
    ...(input.splits ?? []),
    { wallet_id: input.wallet_id, remainder: true as const, param: 'wallet_id' },
  ];
  const legs = resolveAskedLegs(asked, amount.value - fee.value.amount_minor, scope);
  if (!legs.ok) return legs;
  return ok({
    livemode,
    wallet_id: input.wallet_id,
    asset: input.currency,
    amount: amount.value.toString(),
    fee_amount: fee.value.amount_minor.toString(),
    fee_account_id: fee.value.account_id,
    legs: legs.value,
    description: input.description ?? null,
    metadata: metadata.value,
    scale: scale.value,
  });
}

async function walletAssets(
  db: Queryable,
  livemode: boolean,
  input: CreatePaymentInput,
): Promise<Map<string, string>> {
  const ids = [
    input.wallet_id,
    input.fee?.wallet_id,
    ...(input.splits ?? []).map((split) => split.wallet_id),
  ];
  const result = await db.query<{ id: string; asset: string }>(
    "SELECT id, asset FROM accounts WHERE id = ANY($1::text[]) AND livemode = $2 AND kind = 'wallet'",
    [[...new Set(ids.filter((id) => id !== undefined))], livemode],
  );
  return new Map(result.rows.map((row) => [row.id, row.asset]));
}

async function insertPayment(
  db: Queryable,
  payment: PreparedPayment & { id: string },
  decision: PayInAccepted,
  now: Date,
): Promise<PaymentRow> {
  const crypto = decision.confirmations_required !== undefined;
  const result = await db.query<PaymentRow>(
    `INSERT INTO payments (id, livemode, status, rail, wallet_id, asset, amount, source, fee_amount, fee_account_id,
       legs, failure_code, confirmations, confirmations_required, description, metadata, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING *`,
    [
      payment.id,
      payment.livemode,
      decision.status,
      decision.source_view.type,
      payment.wallet_id,
      payment.asset,
      payment.amount,
      decision.source_view,
      payment.fee_amount,
      payment.fee_account_id,
      JSON.stringify(payment.legs),
      decision.failure_code ?? null,
      crypto ? 0 : null,
      decision.confirmations_required ?? null,
      payment.description,
      payment.metadata,
      now,
    ],
  );
  const row = result.rows[0];
  assert(row !== undefined, 'inserted payment');
  return row;
}

export function getPayment(db: Queryable, livemode: boolean, id: string): Promise<Result<PaymentView>> {
  return viewById(db, livemode, { table: 'payments', what: 'payment' }, id, paymentView);
}

export async function listPayments(
  db: Queryable,
  livemode: boolean,
  filter: Static<typeof PaymentListQuery>,
): Promise<Result<Page<PaymentView>>> {
  const { where, params } = new Filters(livemode)
    .equals('wallet_id', filter.wallet_id)
    .equals('status', filter.status);
  return pageWithScale(
    db,
    livemode,
    { table: 'payments', where, params, id_prefix: 'pay' },
    pageQuery(filter),
    paymentView,
  );
}
