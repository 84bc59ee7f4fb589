import type { Static } from '@sinclair/typebox';
import { pageWithScale, viewById, viewsWithScale } from '../assets/scaled-views.js';
import { assetScale } from '../assets/service.js';
import { sealJson } from '../crypto/keyring.js';
import { tokenizeInstrument } from '../crypto/tokens.js';
import type { Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { conversionEntry, recordConversion, type Terms } from '../fx/conversions.js';
import { quoteOnTheWay } from '../fx/on-the-way.js';
import { enqueueJobs } from '../jobs/queue.js';
import { type AccountRow, findWallet, systemAccountId } from '../ledger/accounts.js';
import { writeEntries } from '../ledger/write.js';
import { clearingAccount, payOut, type RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { parseAmount } from '../shared/money.js';
import { type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { payoutStepJobs } from './lifecycle.js';
import type { CreatePayoutBody, PayoutListQuery } from './schemas.js';
import { type PayoutRow, type PayoutView, payoutView, viewWithToken } from './view.js';

export type CreatePayoutInput = Static<typeof CreatePayoutBody>;

/** Where a payout came from, when not a single request. */
export interface PayoutOrigin {
  readonly batch_id?: string;
  readonly schedule_id?: string;
  /** The failed or returned payout this one retries (payouts/actions.ts). */
  readonly retry_of?: string;
}

/**
 * Pays money out of a wallet through a rail. The amount leaves the wallet at once, into the rail's
 * clearing account where money in transit lives (insufficient_funds if the wallet cannot pay);
 * a payout that fails or is returned later puts it back. The rail's later steps are scheduled as
 * jobs in the same transaction.
 */
export async function createPayout(
  ctx: RailContext,
  input: CreatePayoutInput,
  origin: PayoutOrigin = {},
): Promise<Result<PayoutView>> {
  const { db, livemode, now } = ctx;
  const wallet = await findWallet(db, livemode, input.wallet_id);
  if (wallet === undefined) return fail(notFound('wallet', input.wallet_id, 'wallet_id'));
  const terms = await conversionTerms(ctx, input, wallet);
  if (!terms.ok) return terms;
  const scale = await assetScale(db, livemode, input.currency, 'currency');
  if (!scale.ok) return scale;
  const amount = parseAmount(input.amount, scale.value, 'amount');
  if (!amount.ok) return amount;
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const decision = payOut(ctx.rails, livemode, input.destination, input.currency);
  if (!decision.ok) return decision;
  const id = newId('payout', now.getTime());
  const conversion_id = terms.value === undefined ? null : newId('conversion', now.getTime());
  // The rail has decided on the full details; from here on only the token is kept.
  const destination = await tokenizeInstrument(db, livemode, input.destination, now);
  const clearing = systemAccountId(livemode, input.currency, clearingAccount(decision.value.rail));
  const entry =
    terms.value === undefined || conversion_id === null
      ? {
          livemode,
          reason: 'payout.created',
          reference_id: id,
          movements: [
            { from: wallet.id, to: clearing, amount_minor: amount.value, layer: 'posted' as const },
          ],
        }
      : conversionEntry(livemode, conversion_id, { source: wallet.id, target: clearing }, terms.value);
  const [outcome] = await writeEntries(db, [entry], now);
  assert(outcome !== undefined, 'one entry, one outcome');
  if (!outcome.ok)
    return fail({
      ...outcome.error,
      param: outcome.error.code === 'insufficient_funds' ? 'amount' : 'wallet_id',
    });
  if (terms.value !== undefined && conversion_id !== null)
    await recordConversion(
      ctx,
      {
        id: conversion_id,
        kind: 'payout',
        holder_id: wallet.holder_id,
        source_wallet_id: wallet.id,
        target_wallet_id: null,
        description: null,
        metadata: {},
      },
      terms.value,
      outcome.value.transaction_id,
    );
  const row = await insertPayout(db, {
    id,
    livemode,
    status: decision.value.status,
    wallet_id: wallet.id,
    asset: input.currency,
    amount: amount.value.toString(),
    rail: decision.value.rail,
    destination,
    destination_view: viewWithToken(decision.value.destination_view, destination),
    failure_code: null,
    failure_message: null,
    batch_id: origin.batch_id ?? null,
    schedule_id: origin.schedule_id ?? null,
    file_id: null,
    conversion_id,
    paid_at: null,
    canceled_at: null,
    retry_of: origin.retry_of ?? null,
    retried_by: null,
    description: input.description ?? null,
    metadata: metadata.value,
    created_at: now,
    updated_at: now,
  });
  await enqueueJobs(db, payoutStepJobs(id, decision.value.steps, now), now);
  const view = payoutView(row, scale.value);
  await recordEvents(db, [eventOf('payout.created', view)], now);
  return ok(view);
}

/**
 * A payout in the wallet's own currency converts nothing (undefined); one with a quote converts
 * on its way, so that the destination receives the quote's target amount.
 */
async function conversionTerms(
  ctx: RailContext,
  input: CreatePayoutInput,
  wallet: AccountRow,
): Promise<Result<Terms | undefined>> {
  if (input.quote_id !== undefined) {
    const stated = { side: 'target' as const, amount: input.amount, currency: input.currency };
    return quoteOnTheWay(ctx, input.quote_id, wallet, input.currency, stated);
  }
  if (wallet.asset !== input.currency)
    return fail(
      domainError(
        'currency_mismatch',
        `Wallet ${wallet.id} holds ${wallet.asset}, not ${input.currency}; to pay out in another currency, give a quote_id.`,
        'currency',
      ),
    );
  return ok(undefined);
}

async function insertPayout(db: Queryable, row: PayoutRow): Promise<PayoutRow> {
  const result = await db.query<PayoutRow>(
    `INSERT INTO payouts (id, livemode, status, wallet_id, asset, amount, rail, destination, destination_view,
       batch_id, schedule_id, description, metadata, created_at, updated_at, conversion_id, retry_of)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16) RETURNING *`,
    [
      row.id,
      row.livemode,
      row.status,
      row.wallet_id,
      row.asset,
      row.amount,
      row.rail,
      row.destination,
      // Sealed: the view names the account holder.
      JSON.stringify(sealJson('personal', row.destination_view)),
      row.batch_id,
      row.schedule_id,
      row.description,
      row.metadata,
      row.created_at,
      row.conversion_id,
      row.retry_of,
    ],
  );
  assert(result.rows[0] !== undefined, 'inserted payout');
  return result.rows[0];
}

export function getPayout(db: Queryable, livemode: boolean, id: string): Promise<Result<PayoutView>> {
  return viewById(db, livemode, { table: 'payouts', what: 'payout' }, id, payoutView);
}

export async function listPayouts(
  db: Queryable,
  livemode: boolean,
  filter: Static<typeof PayoutListQuery>,
): Promise<Result<Page<PayoutView>>> {
  const { where, params } = new Filters(livemode)
    .equals('wallet_id', filter.wallet_id)
    .equals('status', filter.status)
    .equals('batch_id', filter.batch_id);
  return pageWithScale(
    db,
    livemode,
    { table: 'payouts', where, params, id_prefix: 'po' },
    pageQuery(filter),
    payoutView,
  );
}

/** Every payout of a batch, by id, for rendering the batch's items. */
export async function payoutsOfBatch(
  db: Queryable,
  livemode: boolean,
  batch_id: string,
): Promise<Map<string, PayoutView>> {
  const result = await db.query<PayoutRow>('SELECT * FROM payouts WHERE batch_id = $1 AND livemode = $2', [
    batch_id,
    livemode,
  ]);
  const views = await viewsWithScale(db, livemode, result.rows, payoutView);
  return new Map(views.map((view) => [view.id, view]));
}
