import type { Metadata } from '../shared/metadata.js';
import type { PriceRow } from './catalog-views.js';
import type { Interval } from './math/periods.js';

export type SubscriptionStatus =
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'unpaid'
  | 'canceled'
  | 'paused'
  | 'incomplete';

export interface SubscriptionRow {
  id: string;
  livemode: boolean;
  holder_id: string;
  status: SubscriptionStatus;
  asset: string;
  interval: Interval;
  interval_count: number;
  wallet_id: string | null;
  source: Record<string, unknown> | null;
  revenue_account_id: string;
  billing_cycle_anchor: Date;
  current_period_start: Date;
  current_period_end: Date;
  trial_start: Date | null;
  trial_end: Date | null;
  cancel_at_period_end: boolean;
  canceled_at: Date | null;
  ended_at: Date | null;
  paused_at: Date | null;
  coupon_id: string | null;
  discount_end: Date | null;
  tax_rate_ids: string[];
  retry_schedule_s: number[];
  final_action: 'unpaid' | 'canceled';
  latest_invoice_id: string | null;
  test_clock_id: string | null;
  metadata: Metadata;
  created_at: Date;
  updated_at: Date;
}

export interface ItemRow {
  id: string;
  subscription_id: string;
  price_id: string;
  quantity: string;
  created_at: Date;
  deleted_at: Date | null;
}

/** An item with its price, as the invoice arithmetic needs it. */
export interface PricedItem {
  readonly item: ItemRow;
  readonly price: PriceRow;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

export function subscriptionView(row: SubscriptionRow, items: readonly PricedItem[]) {
  return {
    id: row.id,
    object: 'subscription' as const,
    livemode: row.livemode,
    holder_id: row.holder_id,
    status: row.status,
    currency: row.asset,
    items: items
      .filter(({ item }) => item.deleted_at === null)
      .map(({ item, price }) => ({
        id: item.id,
        object: 'subscription_item' as const,
        price_id: price.id,
        quantity: Number(item.quantity),
        usage_type: price.usage_type,
        created_at: item.created_at.toISOString(),
      })),
    interval: row.interval,
    interval_count: row.interval_count,
    wallet_id: row.wallet_id,
    source: row.source === null ? null : sourceView(row.source),
    revenue_wallet_id: row.revenue_account_id,
    billing_cycle_anchor: row.billing_cycle_anchor.toISOString(),
    current_period_start: row.current_period_start.toISOString(),
    current_period_end: row.current_period_end.toISOString(),
    trial_start: iso(row.trial_start),
    trial_end: iso(row.trial_end),
    cancel_at_period_end: row.cancel_at_period_end,
    canceled_at: iso(row.canceled_at),
    ended_at: iso(row.ended_at),
    paused_at: iso(row.paused_at),
    coupon_id: row.coupon_id,
    discount_end: iso(row.discount_end),
    default_tax_rates: row.tax_rate_ids,
    dunning: {
      retry_schedule_days: row.retry_schedule_s.map((s) => s / 86_400),
      final_action: row.final_action,
    },
    latest_invoice_id: row.latest_invoice_id,
    test_clock_id: row.test_clock_id,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export type SubscriptionView = ReturnType<typeof subscriptionView>;

/** A card or account shows its last four digits and its token only. */
export function sourceView(source: Record<string, unknown>): Record<string, unknown> {
  if (typeof source.token === 'string')
    return { type: source.type, last4: source.last4, token: source.token };
  if (source.type === 'card' && typeof source.number === 'string')
    return { type: 'card', last4: source.number.slice(-4) };
  if (source.type === 'bank_account' && typeof source.account_number === 'string')
    return { type: 'bank_account', last4: source.account_number.slice(-4) };
  return { type: source.type };
}
