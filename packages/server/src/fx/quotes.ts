import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { formatAmount, minorFromDb, parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { FxConfig } from './config.js';
import { spreadOf } from './config.js';
import { formatDecimal, parseStored } from './decimal.js';
import { type Fixed, type Priced, price } from './pricing.js';
import { currentMidRate } from './rates.js';
import type { CreateFxQuoteBody } from './schemas.js';

export interface QuoteRow extends PricedRow {
  id: string;
  livemode: boolean;
  status: 'open' | 'used';
  holder_id: string | null;
  rate_as_of: Date;
  fixed_side: 'source' | 'target';
  conversion_id: string | null;
  expires_at: Date;
  created_at: Date;
}

/** Two assets and their scales, checked to exist in the mode. */
export interface Pair {
  readonly source: string;
  readonly target: string;
  readonly source_scale: number;
  readonly target_scale: number;
}

export async function pairOf(
  db: Queryable,
  livemode: boolean,
  source: string,
  target: string,
  params: { source: string; target: string },
): Promise<Result<Pair>> {
  const source_scale = await assetScale(db, livemode, source, params.source);
  if (!source_scale.ok) return source_scale;
  const target_scale = await assetScale(db, livemode, target, params.target);
  if (!target_scale.ok) return target_scale;
  if (source === target)
    return fail(
      domainError('invalid_request', 'The source and target currencies must differ.', params.target),
    );
  return ok({ source, target, source_scale: source_scale.value, target_scale: target_scale.value });
}

/** Which amount the asker gave, in minor units: exactly one of the two. */
export function fixedAmount(
  pair: Pair,
  amounts: { source_amount?: string | undefined; target_amount?: string | undefined },
): Result<Fixed> {
  const { source_amount, target_amount } = amounts;
  if ((source_amount === undefined) === (target_amount === undefined))
    return fail(
      domainError('invalid_request', 'Give source_amount or target_amount, exactly one.', 'source_amount'),
    );
  const side = source_amount === undefined ? 'target' : 'source';
  const scale = side === 'source' ? pair.source_scale : pair.target_scale;
  const amount = parseAmount(source_amount ?? target_amount, scale, `${side}_amount`);
  return amount.ok ? ok({ side, amount_minor: amount.value }) : amount;
}

/** A price at the current mid rate with the pair's spread, and the rate it came from. */
export async function priceNow(
  db: Queryable,
  livemode: boolean,
  fx: FxConfig,
  pair: Pair,
  fixed: Fixed,
  now: Date,
): Promise<Result<Priced & { mid: string; spread_bps: number; rate_source: string; rate_as_of: Date }>> {
  const mid = await currentMidRate(db, livemode, pair, now, fx.rate_max_age_ms);
  if (!mid.ok) return mid;
  const spread_bps = spreadOf(fx.spreads, pair.source, pair.target);
  const priced = price({ ...pair, mid: mid.value.rate, spread_bps, fixed });
  if (!priced.ok) return priced;
  assert(priced.value.spread_minor >= 0n, 'the customer never gets more than the mid rate');
  return ok({
    ...priced.value,
    mid: formatDecimal(mid.value.rate),
    spread_bps,
    rate_source: mid.value.source,
    rate_as_of: mid.value.as_of,
  });
}

export async function createQuote(
  db: Queryable,
  asker: { livemode: boolean; api_key_id: string },
  fx: FxConfig,
  input: Static<typeof CreateFxQuoteBody>,
  now: Date,
): Promise<Result<FxQuoteView>> {
  const { livemode } = asker;
  const pair = await pairOf(db, livemode, input.source_currency, input.target_currency, {
    source: 'source_currency',
    target: 'target_currency',
  });
  if (!pair.ok) return pair;
  if (input.holder_id !== undefined) {
    const holder = await db.query('SELECT 1 FROM holders WHERE id = $1 AND livemode = $2', [
      input.holder_id,
      livemode,
    ]);
    if (holder.rowCount === 0) return fail(notFound('holder', input.holder_id, 'holder_id'));
  }
  const fixed = fixedAmount(pair.value, input);
  if (!fixed.ok) return fixed;
  const priced = await priceNow(db, livemode, fx, pair.value, fixed.value, now);
  if (!priced.ok) return priced;
  const p = priced.value;
  const result = await db.query<QuoteRow>(
    `INSERT INTO fx_quotes (id, livemode, status, holder_id, source_asset, target_asset, source_amount,
       target_amount, spread_amount, rate, mid_rate, spread_bps, rate_source, rate_as_of, fixed_side,
       expires_at, created_at, api_key_id)
     VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING *`,
    [
      newId('fx_quote', now.getTime()),
      livemode,
      input.holder_id ?? null,
      pair.value.source,
      pair.value.target,
      p.source_minor.toString(),
      p.target_minor.toString(),
      p.spread_minor.toString(),
      formatDecimal(p.rate),
      p.mid,
      p.spread_bps,
      p.rate_source,
      p.rate_as_of,
      fixed.value.side,
      new Date(now.getTime() + fx.quote_ttl_ms),
      now,
      asker.api_key_id,
    ],
  );
  const row = result.rows[0];
  assert(row !== undefined, 'INSERT ... RETURNING gives the quote');
  return ok(quoteView(row, pair.value, now));
}

export interface FxQuoteView {
  readonly id: string;
  readonly object: 'fx_quote';
  readonly livemode: boolean;
  readonly status: 'open' | 'used' | 'expired';
  readonly holder_id: string | null;
  readonly source_currency: string;
  readonly target_currency: string;
  readonly source_amount: string;
  readonly target_amount: string;
  readonly rate: string;
  readonly mid_rate: string;
  readonly spread_bps: number;
  readonly spread_amount: string;
  readonly rate_source: string;
  readonly rate_as_of: string;
  readonly conversion_id: string | null;
  readonly expires_at: string;
  readonly created_at: string;
}

/** The priced figures a quote and a conversion both store and show alike. */
export interface PricedRow {
  source_asset: string;
  target_asset: string;
  source_amount: string;
  target_amount: string;
  spread_amount: string;
  rate: string;
  mid_rate: string;
  spread_bps: number;
  rate_source: string;
}

export function pricedView(row: PricedRow, pair: Pair) {
  return {
    source_currency: row.source_asset,
    target_currency: row.target_asset,
    source_amount: formatAmount(minorFromDb(row.source_amount), pair.source_scale),
    target_amount: formatAmount(minorFromDb(row.target_amount), pair.target_scale),
    rate: formatDecimal(parseStored(row.rate)),
    mid_rate: formatDecimal(parseStored(row.mid_rate)),
    spread_bps: row.spread_bps,
    spread_amount: formatAmount(minorFromDb(row.spread_amount), pair.target_scale),
    rate_source: row.rate_source,
  };
}

export function quoteView(row: QuoteRow, pair: Pair, now: Date): FxQuoteView {
  const expired = row.status === 'open' && row.expires_at.getTime() <= now.getTime();
  return {
    id: row.id,
    object: 'fx_quote',
    livemode: row.livemode,
    status: expired ? 'expired' : row.status,
    holder_id: row.holder_id,
    ...pricedView(row, pair),
    rate_as_of: row.rate_as_of.toISOString(),
    conversion_id: row.conversion_id,
    expires_at: row.expires_at.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

export async function getQuote(
  db: Queryable,
  livemode: boolean,
  id: string,
  now: Date,
): Promise<Result<FxQuoteView>> {
  const result = await db.query<QuoteRow>('SELECT * FROM fx_quotes WHERE id = $1 AND livemode = $2', [
    id,
    livemode,
  ]);
  const row = result.rows[0];
  if (row === undefined) return fail(notFound('fx quote', id));
  const pair = await pairOf(db, livemode, row.source_asset, row.target_asset, { source: 'id', target: 'id' });
  assert(pair.ok, 'a stored quote names two assets');
  return ok(quoteView(row, pair.value, now));
}
