import type { CouponRow } from './discounts.js';
import { type InvoiceDraft, newInvoiceId } from './invoices.js';
import { type LineDraft, licensedLines, type Period, totalsOf, usageLines } from './lines.js';
import { addMonthsClamped, day_ms, nextPeriodEnd } from './math/periods.js';
import type { Billable } from './state.js';
import type { SubscriptionRow } from './subscription-views.js';

/** What one step of a subscription's life writes: its new state and, maybe, an invoice. */
export interface Plan {
  readonly billable: Billable;
  readonly subscription: SubscriptionRow;
  readonly draft: InvoiceDraft | null;
  readonly usage_record_ids: readonly string[];
  readonly pending_item_ids: readonly string[];
  readonly created?: true;
}

export type BillingReason =
  | 'subscription_create'
  | 'subscription_cycle'
  | 'subscription_update'
  | 'subscription_cancel';

/**
 * Whether the subscription's coupon applies to an invoice of `period`, and what the subscription
 * keeps afterwards: a `once` coupon is used up by the first invoice with something to discount, a
 * `repeating` one stops at `discount_end`.
 */
function couponFor(
  subscription: SubscriptionRow,
  coupon: CouponRow | null,
  period: Period,
  lines: readonly LineDraft[],
): { coupon: CouponRow | null; coupon_id: string | null } {
  if (coupon === null || subscription.coupon_id === null)
    return { coupon: null, coupon_id: subscription.coupon_id };
  if (subscription.discount_end !== null && subscription.discount_end <= period.start)
    return { coupon: null, coupon_id: null };
  const positive = lines.some((line) => line.amount_minor > 0n);
  if (coupon.duration === 'once')
    return positive ? { coupon, coupon_id: null } : { coupon: null, coupon_id: coupon.id };
  return { coupon, coupon_id: coupon.id };
}

/** The invoice of a subscription for these lines, with its coupon and tax rates applied. */
export function draftFor(
  billable: Billable,
  lines: readonly LineDraft[],
  reason: BillingReason,
  period: Period,
  now: Date,
): { draft: InvoiceDraft; coupon_id: string | null } {
  const sub = billable.subscription;
  const applied = couponFor(sub, billable.coupon, period, lines);
  const totals = totalsOf(lines, applied.coupon, billable.tax_rates);
  const draft: InvoiceDraft = {
    id: newInvoiceId(now),
    livemode: sub.livemode,
    status: 'open',
    holder_id: sub.holder_id,
    subscription_id: sub.id,
    billing_reason: reason,
    collection_method: 'charge_automatically',
    asset: sub.asset,
    wallet_id: sub.wallet_id,
    source: sub.source,
    revenue_account_id: sub.revenue_account_id,
    period_start: period.start,
    period_end: period.end,
    lines: totals.lines,
    coupon_id: applied.coupon?.id ?? null,
    tax_rate_ids: billable.tax_rates.map((rate) => rate.id),
    subtotal: totals.subtotal,
    discount: totals.discount,
    tax: totals.tax,
    total: totals.total,
    due_date: null,
    description: null,
    test_clock_id: sub.test_clock_id,
    metadata: {},
  };
  return { draft, coupon_id: applied.coupon_id };
}

/**
 * The first invoice, written when the subscription is created: its licensed items for the first
 * period (prorated when a billing cycle anchor makes it short), or nothing to pay during a trial.
 */
export function planFirst(billable: Billable, now: Date): Plan {
  const sub = billable.subscription;
  const period = { start: sub.current_period_start, end: sub.current_period_end };
  const trialing = sub.status === 'trialing';
  // Short of a whole interval only when a billing cycle anchor ends the first period early.
  const full = { start: intervalBefore(sub), end: sub.current_period_end };
  const short = !trialing && full.start.getTime() < period.start.getTime();
  const charged = licensedLines(billable.items, period, short ? full : period);
  const lines = trialing
    ? charged.map((line) => ({
        ...line,
        description: `Trial of ${line.description}`,
        amount_minor: 0n,
        unit_amount_minor: 0n,
      }))
    : charged;
  const { draft, coupon_id } = draftFor(billable, lines, 'subscription_create', period, now);
  return {
    billable,
    subscription: { ...sub, coupon_id, latest_invoice_id: draft.id },
    draft,
    usage_record_ids: [],
    pending_item_ids: [],
    created: true,
  };
}

/**
 * A subscription whose period has ended: metered usage of the ended period and waiting prorations
 * are billed with the licensed items of the next period (in advance), and the period moves on; a
 * trial that ends becomes `active`; with `cancel_at_period_end`, it ends instead, billing only
 * usage and prorations (no invoice when there are none).
 */
export function planRenewal(
  billable: Billable,
  usage: { quantities: ReadonlyMap<string, bigint>; record_ids: readonly string[] },
  pending: { ids: readonly string[]; lines: readonly LineDraft[] },
  now: Date,
): Plan {
  const sub = billable.subscription;
  const ended = { start: sub.current_period_start, end: sub.current_period_end };
  const arrears = [...usageLines(billable.items, usage.quantities, ended), ...pending.lines];
  if (sub.cancel_at_period_end) {
    const closed: SubscriptionRow = {
      ...sub,
      status: 'canceled',
      ended_at: ended.end,
      canceled_at: sub.canceled_at ?? now,
      updated_at: now,
    };
    if (arrears.length === 0)
      return { billable, subscription: closed, draft: null, usage_record_ids: [], pending_item_ids: [] };
    const { draft } = draftFor(billable, arrears, 'subscription_cycle', ended, now);
    return {
      billable,
      subscription: { ...closed, latest_invoice_id: draft.id },
      draft,
      usage_record_ids: usage.record_ids,
      pending_item_ids: pending.ids,
    };
  }
  const next = {
    start: ended.end,
    end: nextPeriodEnd(sub.billing_cycle_anchor, sub.interval, sub.interval_count, ended.end),
  };
  const lines = [...arrears, ...licensedLines(billable.items, next)];
  const { draft, coupon_id } = draftFor(billable, lines, 'subscription_cycle', next, now);
  const status = sub.status === 'trialing' ? 'active' : sub.status;
  return {
    billable,
    subscription: {
      ...sub,
      status,
      current_period_start: next.start,
      current_period_end: next.end,
      coupon_id,
      latest_invoice_id: draft.id,
      updated_at: now,
    },
    draft,
    usage_record_ids: usage.record_ids,
    pending_item_ids: pending.ids,
  };
}

/** The start of the whole interval that ends at the subscription's period end. */
export function intervalBefore(sub: SubscriptionRow): Date {
  const end = sub.current_period_end;
  if (sub.interval === 'day' || sub.interval === 'week')
    return new Date(end.getTime() - sub.interval_count * (sub.interval === 'day' ? 1 : 7) * day_ms);
  return addMonthsClamped(end, -sub.interval_count * (sub.interval === 'month' ? 1 : 12));
}
