import { assert } from '../shared/assert.js';
import { newId } from '../shared/ids.js';
import { termsOf } from './catalog-views.js';
import type { CouponRow, TaxRateTerms } from './discounts.js';
import { discountOf } from './discounts.js';
import type { LineRow } from './invoice-views.js';
import { invoiceTotals } from './math/invoice-totals.js';
import { amountFor } from './math/pricing.js';
import { prorate } from './math/proration.js';
import type { PricedItem } from './subscription-views.js';

/** A line before discounts and taxes. */
export interface LineDraft {
  readonly type: LineRow['type'];
  readonly description: string;
  readonly price_id: string | null;
  readonly subscription_item_id: string | null;
  readonly quantity: bigint;
  readonly unit_amount_minor: bigint | null;
  readonly amount_minor: bigint;
  readonly proration: boolean;
  /** A credit of what was already paid net of its discount is not discounted again. */
  readonly discountable?: boolean;
  /** A credit of what was already paid with its tax is not taxed again. */
  readonly taxable?: boolean;
  readonly period_start: Date;
  readonly period_end: Date;
}

/** A draft line as kept in `invoice_items` until its invoice: amounts as text, times as RFC 3339. */
export type StoredDraft = Record<
  Exclude<keyof LineDraft, 'discountable' | 'taxable'>,
  string | boolean | null
> & {
  discountable?: boolean;
  taxable?: boolean;
};

export function storeDraft(line: LineDraft): StoredDraft {
  return {
    ...line,
    quantity: line.quantity.toString(),
    unit_amount_minor: line.unit_amount_minor?.toString() ?? null,
    amount_minor: line.amount_minor.toString(),
    period_start: line.period_start.toISOString(),
    period_end: line.period_end.toISOString(),
  };
}

export function loadDraft(stored: StoredDraft): LineDraft {
  const text = (value: string | boolean | null) => String(value);
  return {
    type: text(stored.type) as LineDraft['type'],
    description: text(stored.description),
    price_id: stored.price_id === null ? null : text(stored.price_id),
    subscription_item_id: stored.subscription_item_id === null ? null : text(stored.subscription_item_id),
    quantity: BigInt(text(stored.quantity)),
    unit_amount_minor: stored.unit_amount_minor === null ? null : BigInt(text(stored.unit_amount_minor)),
    amount_minor: BigInt(text(stored.amount_minor)),
    proration: stored.proration === true,
    ...(stored.discountable === false ? { discountable: false } : {}),
    ...(stored.taxable === false ? { taxable: false } : {}),
    period_start: new Date(text(stored.period_start)),
    period_end: new Date(text(stored.period_end)),
  };
}

export interface Period {
  readonly start: Date;
  readonly end: Date;
}

function nameOf({ price }: PricedItem): string {
  return price.product_name ?? price.nickname ?? price.id;
}

/** What one full period of an item costs at its quantity. */
export function itemAmount({ item, price }: PricedItem): bigint {
  return amountFor(termsOf(price), BigInt(item.quantity));
}

function unitAmount({ price }: PricedItem): bigint | null {
  const terms = termsOf(price);
  return terms.billing_scheme === 'per_unit' ? terms.unit_amount_minor : null;
}

/**
 * Licensed items are billed in advance for `period`. A period shorter than a whole interval (up to
 * a billing cycle anchor) is prorated over `full`, the whole interval it is part of.
 */
export function licensedLines(
  items: readonly PricedItem[],
  period: Period,
  full: Period = period,
): LineDraft[] {
  return items
    .filter(({ item, price }) => price.usage_type === 'licensed' && item.deleted_at === null)
    .map((priced) => {
      const whole = itemAmount(priced);
      const amount = sameSpan(period, full)
        ? whole
        : prorate(whole, BigInt(span(period)), BigInt(span(full)));
      return {
        type: 'subscription',
        description: `${priced.item.quantity} × ${nameOf(priced)}`,
        price_id: priced.price.id,
        subscription_item_id: priced.item.id,
        quantity: BigInt(priced.item.quantity),
        unit_amount_minor: unitAmount(priced),
        amount_minor: amount,
        proration: !sameSpan(period, full),
        period_start: period.start,
        period_end: period.end,
      };
    });
}

/** Metered items are billed in arrears: the usage recorded for them, priced by their tiers. */
export function usageLines(
  items: readonly PricedItem[],
  usage: ReadonlyMap<string, bigint>,
  period: Period,
): LineDraft[] {
  return items
    .filter(
      ({ item, price }) => price.usage_type === 'metered' && (item.deleted_at === null || usage.has(item.id)),
    )
    .map((priced) => {
      const quantity = usage.get(priced.item.id) ?? 0n;
      return {
        type: 'usage',
        description: `${quantity} × ${nameOf(priced)} (usage)`,
        price_id: priced.price.id,
        subscription_item_id: priced.item.id,
        quantity,
        unit_amount_minor: unitAmount(priced),
        amount_minor: amountFor(termsOf(priced.price), quantity),
        proration: false,
        period_start: period.start,
        period_end: period.end,
      };
    });
}

/**
 * The charges for the time left after a change at `at`: each licensed item as it is now, its whole
 * interval's amount prorated over the time left (prorate: nearest minor unit, halves away from
 * zero). `interval_ms` is the whole interval, longer than the period when an anchor shortened it.
 */
export function remainingTime(
  items: readonly PricedItem[],
  at: Date,
  end: Date,
  interval_ms: number,
): LineDraft[] {
  const left = BigInt(end.getTime() - at.getTime());
  const whole = BigInt(interval_ms);
  assert(left >= 0n && left <= whole, 'a change falls within its interval');
  return items
    .filter(({ item, price }) => price.usage_type === 'licensed' && item.deleted_at === null)
    .map((priced) => ({
      type: 'proration' as const,
      description: `Remaining time on ${priced.item.quantity} × ${nameOf(priced)}`,
      price_id: priced.price.id,
      subscription_item_id: priced.item.id,
      quantity: BigInt(priced.item.quantity),
      unit_amount_minor: unitAmount(priced),
      amount_minor: prorate(itemAmount(priced), left, whole),
      proration: true,
      period_start: at,
      period_end: end,
    }))
    .filter((line) => line.amount_minor !== 0n);
}

/**
 * Leaves out each credit that exactly cancels a charge for the same price and quantity: an item
 * a change did not touch nets to nothing.
 */
export function withoutUnchanged(credits: readonly LineDraft[], charges: readonly LineDraft[]): LineDraft[] {
  const unmatched = [...charges];
  const kept = credits.filter((credit) => {
    const twin = unmatched.findIndex(
      (charge) =>
        charge.price_id === credit.price_id &&
        charge.quantity === credit.quantity &&
        charge.amount_minor === -credit.amount_minor,
    );
    if (twin === -1) return true;
    unmatched.splice(twin, 1);
    return false;
  });
  return [...kept, ...unmatched];
}

export interface Totals {
  readonly lines: LineRow[];
  readonly subtotal: bigint;
  readonly discount: bigint;
  readonly tax: bigint;
  readonly total: bigint;
}

/** Discounts and taxes applied to the lines, by the rules of math/invoice-totals.ts. */
export function totalsOf(
  lines: readonly LineDraft[],
  coupon: CouponRow | null,
  tax_rates: readonly TaxRateTerms[],
): Totals {
  const totals = invoiceTotals(
    lines.map((line) => ({
      amount_minor: line.amount_minor,
      discountable: line.discountable ?? true,
      tax_rates: line.taxable === false ? [] : tax_rates,
    })),
    coupon === null ? undefined : discountOf(coupon),
  );
  return {
    lines: lines.map((line, i) => {
      const figures = totals.lines[i];
      assert(figures !== undefined, 'a total per line');
      return {
        id: newId('invoice_line'),
        type: line.type,
        description: line.description,
        price_id: line.price_id,
        subscription_item_id: line.subscription_item_id,
        quantity: line.quantity.toString(),
        unit_amount_minor: line.unit_amount_minor?.toString() ?? null,
        amount_minor: line.amount_minor.toString(),
        discount_minor: figures.discount_minor.toString(),
        taxes: figures.taxes.map((tax) => ({ ...tax, amount_minor: tax.amount_minor.toString() })),
        proration: line.proration,
        period_start: line.period_start.toISOString(),
        period_end: line.period_end.toISOString(),
      };
    }),
    subtotal: totals.subtotal_minor,
    discount: totals.discount_minor,
    tax: totals.tax_minor,
    total: totals.total_minor,
  };
}

function span(period: Period): number {
  return period.end.getTime() - period.start.getTime();
}

function sameSpan(a: Period, b: Period): boolean {
  return a.start.getTime() === b.start.getTime() && a.end.getTime() === b.end.getTime();
}
