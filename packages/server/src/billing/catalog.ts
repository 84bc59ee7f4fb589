import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { Limits } from '../config.js';
import type { Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata, mergeMetadata } from '../shared/metadata.js';
import { fail, ok, type Result } from '../shared/result.js';
import { lineTooLarge, parseAmountOrZero } from './amounts.js';
import type {
  CreatePriceBody,
  CreateProductBody,
  UpdatePriceBody,
  UpdateProductBody,
} from './catalog-schemas.js';
import {
  type PriceRow,
  type PriceView,
  type ProductRow,
  type ProductView,
  priceView,
  productView,
} from './catalog-views.js';
import { type Tier, tiersProblem } from './math/pricing.js';

interface Ctx {
  readonly db: Queryable;
  readonly livemode: boolean;
  readonly limits: Limits;
  readonly now: Date;
}

export async function createProduct(
  ctx: Ctx,
  input: Static<typeof CreateProductBody>,
): Promise<Result<ProductView>> {
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const inserted = await ctx.db.query<ProductRow>(
    `INSERT INTO products (id, livemode, name, description, metadata, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *`,
    [
      newId('product', ctx.now.getTime()),
      ctx.livemode,
      input.name,
      input.description ?? null,
      metadata.value,
      ctx.now,
    ],
  );
  const row = inserted.rows[0];
  assert(row !== undefined, 'inserted product');
  const view = productView(row);
  await recordEvents(ctx.db, [eventOf('product.created', view)], ctx.now);
  return ok(view);
}

export async function updateProduct(
  ctx: Ctx,
  id: string,
  input: Static<typeof UpdateProductBody>,
): Promise<Result<ProductView>> {
  const found = await ctx.db.query<ProductRow>(
    'SELECT * FROM products WHERE id = $1 AND livemode = $2 FOR UPDATE',
    [id, ctx.livemode],
  );
  const row = found.rows[0];
  if (row === undefined) return fail(notFound('product', id));
  const metadata = mergeMetadata(row.metadata, input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const updated = await ctx.db.query<ProductRow>(
    `UPDATE products SET name = $2, description = $3, active = $4, metadata = $5, updated_at = $6
     WHERE id = $1 RETURNING *`,
    [
      id,
      input.name ?? row.name,
      input.description === undefined ? row.description : input.description,
      input.active ?? row.active,
      metadata.value,
      ctx.now,
    ],
  );
  assert(updated.rows[0] !== undefined, 'product exists');
  const view = productView(updated.rows[0]);
  await recordEvents(ctx.db, [eventOf('product.updated', view)], ctx.now);
  return ok(view);
}

type PriceInput = Static<typeof CreatePriceBody>;

/**
 * A price: what one unit (or a tier ladder) costs per interval in one currency. Its terms never
 * change afterwards (a trigger keeps it so); archive it and create another to charge differently.
 */
export async function createPrice(ctx: Ctx, input: PriceInput): Promise<Result<PriceView>> {
  const { db, livemode, now } = ctx;
  const product = await db.query<{ active: boolean }>(
    'SELECT active FROM products WHERE id = $1 AND livemode = $2',
    [input.product_id, livemode],
  );
  if (product.rows[0] === undefined) return fail(notFound('product', input.product_id, 'product_id'));
  const scale = await assetScale(db, livemode, input.currency, 'currency');
  if (!scale.ok) return scale;
  const terms = priceTerms(input, scale.value);
  if (!terms.ok) return terms;
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const inserted = await db.query<PriceRow>(
    `INSERT INTO prices (id, livemode, product_id, asset, type, billing_scheme, unit_amount, tiers_mode, tiers,
       recurring_interval, recurring_interval_count, usage_type, nickname, metadata, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING *`,
    [
      newId('price', now.getTime()),
      livemode,
      input.product_id,
      input.currency,
      input.recurring === undefined ? 'one_time' : 'recurring',
      terms.value.billing_scheme,
      terms.value.unit_amount?.toString() ?? null,
      terms.value.tiers_mode,
      terms.value.tiers === null ? null : JSON.stringify(terms.value.tiers.map(tierToDb)),
      input.recurring?.interval ?? null,
      input.recurring === undefined ? null : (input.recurring.interval_count ?? 1),
      input.usage_type ?? 'licensed',
      input.nickname ?? null,
      metadata.value,
      now,
    ],
  );
  const row = inserted.rows[0];
  assert(row !== undefined, 'inserted price');
  const view = priceView(row, scale.value);
  await recordEvents(db, [eventOf('price.created', view)], now);
  return ok(view);
}

interface ParsedTerms {
  readonly billing_scheme: 'per_unit' | 'tiered';
  readonly unit_amount: bigint | null;
  readonly tiers_mode: 'graduated' | 'volume' | null;
  readonly tiers: Tier[] | null;
}

function priceTerms(input: PriceInput, scale: number): Result<ParsedTerms> {
  const invalid = (detail: string, param: string) =>
    fail<ParsedTerms>(domainError('invalid_request', detail, param));
  if (input.usage_type === 'metered' && input.recurring === undefined)
    return invalid('A metered price must be recurring.', 'recurring');
  if ((input.billing_scheme ?? 'per_unit') === 'per_unit') {
    if (input.tiers !== undefined || input.tiers_mode !== undefined)
      return invalid('tiers and tiers_mode need billing_scheme "tiered".', 'tiers');
    if (input.unit_amount === undefined) return invalid('A per_unit price needs unit_amount.', 'unit_amount');
    const amount = parseAmountOrZero(input.unit_amount, scale, 'unit_amount');
    if (!amount.ok) return amount;
    const too_large = lineTooLarge(amount.value, 'unit_amount');
    if (too_large !== undefined) return fail(too_large);
    return ok({ billing_scheme: 'per_unit', unit_amount: amount.value, tiers_mode: null, tiers: null });
  }
  if (input.unit_amount !== undefined)
    return invalid('A tiered price takes its amounts from tiers.', 'unit_amount');
  if (input.tiers === undefined) return invalid('A tiered price needs tiers.', 'tiers');
  const tiers: Tier[] = [];
  for (const [i, tier] of input.tiers.entries()) {
    const unit = parseAmountOrZero(tier.unit_amount ?? '0', scale, `tiers.${i}.unit_amount`);
    if (!unit.ok) return unit;
    const flat = parseAmountOrZero(tier.flat_amount ?? '0', scale, `tiers.${i}.flat_amount`);
    if (!flat.ok) return flat;
    const too_large =
      lineTooLarge(unit.value, `tiers.${i}.unit_amount`) ??
      lineTooLarge(flat.value, `tiers.${i}.flat_amount`);
    if (too_large !== undefined) return fail(too_large);
    tiers.push({
      up_to: tier.up_to === 'inf' ? null : BigInt(tier.up_to),
      unit_amount_minor: unit.value,
      flat_amount_minor: flat.value,
    });
  }
  const problem = tiersProblem(tiers);
  if (problem !== undefined) return invalid(problem, 'tiers');
  return ok({
    billing_scheme: 'tiered',
    unit_amount: null,
    tiers_mode: input.tiers_mode ?? 'graduated',
    tiers,
  });
}

function tierToDb(tier: Tier): Record<string, string | null> {
  return {
    up_to: tier.up_to?.toString() ?? null,
    unit_amount_minor: tier.unit_amount_minor.toString(),
    flat_amount_minor: tier.flat_amount_minor.toString(),
  };
}

export async function updatePrice(
  ctx: Ctx,
  id: string,
  input: Static<typeof UpdatePriceBody>,
): Promise<Result<PriceView>> {
  const found = await ctx.db.query<PriceRow>(
    'SELECT * FROM prices WHERE id = $1 AND livemode = $2 FOR UPDATE',
    [id, ctx.livemode],
  );
  const row = found.rows[0];
  if (row === undefined) return fail(notFound('price', id));
  const metadata = mergeMetadata(row.metadata, input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const updated = await ctx.db.query<PriceRow>(
    'UPDATE prices SET nickname = $2, active = $3, metadata = $4, updated_at = $5 WHERE id = $1 RETURNING *',
    [
      id,
      input.nickname === undefined ? row.nickname : input.nickname,
      input.active ?? row.active,
      metadata.value,
      ctx.now,
    ],
  );
  assert(updated.rows[0] !== undefined, 'price exists');
  const scale = await assetScale(ctx.db, ctx.livemode, row.asset, 'currency');
  if (!scale.ok) return scale;
  const view = priceView(updated.rows[0], scale.value);
  await recordEvents(ctx.db, [eventOf('price.updated', view)], ctx.now);
  return ok(view);
}
