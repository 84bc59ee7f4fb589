import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { Limits } from '../config.js';
import type { Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata, type Metadata, mergeMetadata } from '../shared/metadata.js';
import { formatAmount, minorFromDb, parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import { lineTooLarge, percentFromDb, percentView } from './amounts.js';
import type { ArchiveBody, CreateCouponBody, CreateTaxRateBody } from './catalog-schemas.js';
import type { DiscountInput } from './math/invoice-totals.js';
import type { Percent } from './math/rates.js';

/** Coupons (what an invoice takes off) and tax rates (what it adds or contains). */

interface Ctx {
  readonly db: Queryable;
  readonly livemode: boolean;
  readonly limits: Limits;
  readonly now: Date;
}

export interface CouponRow {
  id: string;
  livemode: boolean;
  name: string | null;
  percent_off: string | null;
  amount_off: string | null;
  currency: string | null;
  duration: 'once' | 'repeating' | 'forever';
  duration_in_months: number | null;
  max_redemptions: number | null;
  times_redeemed: number;
  active: boolean;
  metadata: Metadata;
  created_at: Date;
}

export interface TaxRateRow {
  id: string;
  livemode: boolean;
  display_name: string;
  percentage: string;
  inclusive: boolean;
  jurisdiction: string | null;
  active: boolean;
  metadata: Metadata;
  created_at: Date;
}

export async function couponView(db: Queryable, row: CouponRow) {
  let amount_off: string | null = null;
  if (row.amount_off !== null && row.currency !== null) {
    const scale = await assetScale(db, row.livemode, row.currency, 'currency');
    assert(scale.ok, 'a coupon names an existing currency');
    amount_off = formatAmount(minorFromDb(row.amount_off), scale.value);
  }
  return {
    id: row.id,
    object: 'coupon' as const,
    livemode: row.livemode,
    name: row.name,
    percent_off: row.percent_off === null ? null : percentView(row.percent_off),
    amount_off,
    currency: row.currency,
    duration: row.duration,
    duration_in_months: row.duration_in_months,
    max_redemptions: row.max_redemptions,
    times_redeemed: row.times_redeemed,
    active: row.active,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
  };
}

export function taxRateView(row: TaxRateRow) {
  return {
    id: row.id,
    object: 'tax_rate' as const,
    livemode: row.livemode,
    display_name: row.display_name,
    percentage: percentView(row.percentage),
    inclusive: row.inclusive,
    jurisdiction: row.jurisdiction,
    active: row.active,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
  };
}

export async function createCoupon(ctx: Ctx, input: Static<typeof CreateCouponBody>) {
  const invalid = (detail: string, param: string) => fail(domainError('invalid_request', detail, param));
  if ((input.percent_off === undefined) === (input.amount_off === undefined))
    return invalid('Give percent_off or amount_off, one of them.', 'percent_off');
  if ((input.amount_off === undefined) !== (input.currency === undefined))
    return invalid('amount_off needs its currency, and only amount_off takes one.', 'currency');
  if ((input.duration === 'repeating') !== (input.duration_in_months !== undefined))
    return invalid(
      'duration_in_months goes with duration "repeating", and only with it.',
      'duration_in_months',
    );
  if (input.percent_off !== undefined && (Number(input.percent_off) <= 0 || Number(input.percent_off) > 100))
    return invalid('percent_off must be above 0 and at most 100.', 'percent_off');
  let amount_off: bigint | null = null;
  if (input.amount_off !== undefined && input.currency !== undefined) {
    const scale = await assetScale(ctx.db, ctx.livemode, input.currency, 'currency');
    if (!scale.ok) return scale;
    const amount = parseAmount(input.amount_off, scale.value, 'amount_off');
    if (!amount.ok) return amount;
    const too_large = lineTooLarge(amount.value, 'amount_off');
    if (too_large !== undefined) return fail(too_large);
    amount_off = amount.value;
  }
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const inserted = await ctx.db.query<CouponRow>(
    `INSERT INTO coupons (id, livemode, name, percent_off, amount_off, currency, duration, duration_in_months,
       max_redemptions, metadata, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING *`,
    [
      newId('coupon', ctx.now.getTime()),
      ctx.livemode,
      input.name ?? null,
      input.percent_off ?? null,
      amount_off?.toString() ?? null,
      input.currency ?? null,
      input.duration,
      input.duration_in_months ?? null,
      input.max_redemptions ?? null,
      metadata.value,
      ctx.now,
    ],
  );
  assert(inserted.rows[0] !== undefined, 'inserted coupon');
  const view = await couponView(ctx.db, inserted.rows[0]);
  await recordEvents(ctx.db, [eventOf('coupon.created', view)], ctx.now);
  return ok(view);
}

export async function createTaxRate(ctx: Ctx, input: Static<typeof CreateTaxRateBody>) {
  if (Number(input.percentage) <= 0 || Number(input.percentage) > 100)
    return fail(domainError('invalid_request', 'percentage must be above 0 and at most 100.', 'percentage'));
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const inserted = await ctx.db.query<TaxRateRow>(
    `INSERT INTO tax_rates (id, livemode, display_name, percentage, inclusive, jurisdiction, metadata, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
    [
      newId('tax_rate', ctx.now.getTime()),
      ctx.livemode,
      input.display_name,
      input.percentage,
      input.inclusive,
      input.jurisdiction ?? null,
      metadata.value,
      ctx.now,
    ],
  );
  assert(inserted.rows[0] !== undefined, 'inserted tax rate');
  const view = taxRateView(inserted.rows[0]);
  await recordEvents(ctx.db, [eventOf('tax_rate.created', view)], ctx.now);
  return ok(view);
}

/** Archives or renames a coupon or tax rate; what it takes off or adds never changes. */
export async function updateCouponOrTaxRate(
  ctx: Ctx,
  table: 'coupons' | 'tax_rates',
  id: string,
  input: Static<typeof ArchiveBody>,
) {
  const found = await ctx.db.query<CouponRow & TaxRateRow>(
    `SELECT * FROM ${table} WHERE id = $1 AND livemode = $2 FOR UPDATE`,
    [id, ctx.livemode],
  );
  const row = found.rows[0];
  if (row === undefined) return fail(notFound(table === 'coupons' ? 'coupon' : 'tax rate', id));
  const metadata = mergeMetadata(row.metadata, input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const name_column = table === 'coupons' ? 'name' : 'display_name';
  const updated = await ctx.db.query<CouponRow & TaxRateRow>(
    `UPDATE ${table} SET active = $2, metadata = $3, ${name_column} = coalesce($4, ${name_column}), updated_at = $5
     WHERE id = $1 RETURNING *`,
    [id, input.active ?? row.active, metadata.value, input.name ?? null, ctx.now],
  );
  const next = updated.rows[0];
  assert(next !== undefined, 'row exists');
  if (table === 'tax_rates') {
    const view = taxRateView(next);
    await recordEvents(ctx.db, [eventOf('tax_rate.updated', view)], ctx.now);
    return ok(view);
  }
  const view = await couponView(ctx.db, next);
  await recordEvents(ctx.db, [eventOf('coupon.updated', view)], ctx.now);
  return ok(view);
}

/** A coupon as the invoice arithmetic takes it. */
export function discountOf(row: CouponRow): DiscountInput {
  if (row.percent_off !== null) return { percent_off: percentFromDb(row.percent_off) };
  assert(row.amount_off !== null, 'a coupon takes a percent or an amount off');
  return { amount_off_minor: minorFromDb(row.amount_off) };
}

export interface TaxRateTerms {
  readonly id: string;
  readonly percent: Percent;
  readonly inclusive: boolean;
  readonly display_name: string;
}

/** The active tax rates of this mode among `ids`, in the order given; an unknown or archived one is refused. */
export async function loadTaxRates(
  db: Queryable,
  livemode: boolean,
  ids: readonly string[],
  param: string,
): Promise<Result<TaxRateTerms[]>> {
  if (ids.length === 0) return ok([]);
  const found = await db.query<TaxRateRow>(
    'SELECT * FROM tax_rates WHERE id = ANY($1::text[]) AND livemode = $2',
    [[...ids], livemode],
  );
  const by_id = new Map(found.rows.map((row) => [row.id, row]));
  const terms: TaxRateTerms[] = [];
  for (const [i, id] of ids.entries()) {
    const row = by_id.get(id);
    if (row === undefined) return fail(notFound('tax rate', id, `${param}.${i}`));
    if (!row.active)
      return fail(
        domainError(
          'invalid_request',
          `Tax rate ${id} is archived; it applies to nothing new.`,
          `${param}.${i}`,
        ),
      );
    terms.push(taxRateTerms(row));
  }
  return ok(terms);
}

/** A tax rate as the invoice arithmetic takes it. */
export function taxRateTerms(row: TaxRateRow): TaxRateTerms {
  return {
    id: row.id,
    percent: percentFromDb(row.percentage),
    inclusive: row.inclusive,
    display_name: row.display_name,
  };
}
