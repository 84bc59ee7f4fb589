import type { Metadata } from '../shared/metadata.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import type { PriceTerms, Tier } from './math/pricing.js';

export interface ProductRow {
  id: string;
  livemode: boolean;
  name: string;
  description: string | null;
  active: boolean;
  metadata: Metadata;
  created_at: Date;
  updated_at: Date;
}

export interface ProductView {
  id: string;
  object: 'product';
  livemode: boolean;
  name: string;
  description: string | null;
  active: boolean;
  metadata: Metadata;
  created_at: string;
  updated_at: string;
}

export function productView(row: ProductRow): ProductView {
  return {
    id: row.id,
    object: 'product',
    livemode: row.livemode,
    name: row.name,
    description: row.description,
    active: row.active,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

type TierRow = { up_to: string | null; unit_amount_minor: string; flat_amount_minor: string };

export interface PriceRow {
  id: string;
  livemode: boolean;
  product_id: string;
  asset: string;
  type: 'recurring' | 'one_time';
  billing_scheme: 'per_unit' | 'tiered';
  unit_amount: string | null;
  tiers_mode: 'graduated' | 'volume' | null;
  tiers: TierRow[] | null;
  recurring_interval: 'day' | 'week' | 'month' | 'year' | null;
  recurring_interval_count: number | null;
  usage_type: 'licensed' | 'metered';
  nickname: string | null;
  active: boolean;
  metadata: Metadata;
  created_at: Date;
  updated_at: Date;
  /** Joined in where invoice lines are described. */
  product_name?: string;
}

export interface PriceView {
  id: string;
  object: 'price';
  livemode: boolean;
  product_id: string;
  currency: string;
  type: PriceRow['type'];
  billing_scheme: PriceRow['billing_scheme'];
  unit_amount: string | null;
  tiers_mode: PriceRow['tiers_mode'];
  tiers: { up_to: number | 'inf'; unit_amount: string; flat_amount: string }[] | null;
  recurring: { interval: NonNullable<PriceRow['recurring_interval']>; interval_count: number } | null;
  usage_type: PriceRow['usage_type'];
  nickname: string | null;
  active: boolean;
  metadata: Metadata;
  created_at: string;
  updated_at: string;
}

export function priceView(row: PriceRow, scale: number): PriceView {
  return {
    id: row.id,
    object: 'price',
    livemode: row.livemode,
    product_id: row.product_id,
    currency: row.asset,
    type: row.type,
    billing_scheme: row.billing_scheme,
    unit_amount: row.unit_amount === null ? null : formatAmount(minorFromDb(row.unit_amount), scale),
    tiers_mode: row.tiers_mode,
    tiers:
      row.tiers?.map((tier) => ({
        up_to: tier.up_to === null ? ('inf' as const) : Number(tier.up_to),
        unit_amount: formatAmount(BigInt(tier.unit_amount_minor), scale),
        flat_amount: formatAmount(BigInt(tier.flat_amount_minor), scale),
      })) ?? null,
    recurring:
      row.recurring_interval === null || row.recurring_interval_count === null
        ? null
        : { interval: row.recurring_interval, interval_count: row.recurring_interval_count },
    usage_type: row.usage_type,
    nickname: row.nickname,
    active: row.active,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** What a price charges, for the billing arithmetic. */
export function termsOf(row: PriceRow): PriceTerms {
  if (row.billing_scheme === 'per_unit')
    return { billing_scheme: 'per_unit', unit_amount_minor: minorFromDb(row.unit_amount ?? '0') };
  const tiers: Tier[] = (row.tiers ?? []).map((tier) => ({
    up_to: tier.up_to === null ? null : BigInt(tier.up_to),
    unit_amount_minor: BigInt(tier.unit_amount_minor),
    flat_amount_minor: BigInt(tier.flat_amount_minor),
  }));
  return { billing_scheme: 'tiered', tiers_mode: row.tiers_mode ?? 'graduated', tiers };
}
