import type { Static } from '@sinclair/typebox';
import { eventOf, recordEvents } from '../events/index.js';
import type { RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { mergeMetadata } from '../shared/metadata.js';
import { fail, ok, type Result } from '../shared/result.js';
import { lineTooLarge, pending_lines_max } from './amounts.js';
import type { PriceRow } from './catalog-views.js';
import { termsOf } from './catalog-views.js';
import { paidSince, unusedTime } from './credits.js';
import { carryOut } from './cycle.js';
import { loadTaxRates } from './discounts.js';
import {
  itemAmount,
  type LineDraft,
  remainingTime,
  storeDraft,
  usageLines,
  withoutUnchanged,
} from './lines.js';
import { amountCeiling } from './math/pricing.js';
import { type BillingReason, draftFor, intervalBefore, planRenewal } from './plans.js';
import { type Billable, loadBillables, pendingLines, unbilledUsage } from './state.js';
import type { CancelSubscriptionBody, UpdateSubscriptionBody } from './subscription-schemas.js';
import {
  type PricedItem,
  type SubscriptionRow,
  type SubscriptionView,
  subscriptionView,
} from './subscription-views.js';
import { discountEnd, insertItems, redeemCoupon } from './subscriptions.js';
import { holderTime } from './test-clocks.js';
import { saveSubscriptions } from './writes.js';

/** The subscription locked, with its items, in the holder's time; a canceled one is 409. */
async function lockBillable(
  ctx: RailContext,
  id: string,
): Promise<Result<{ billable: Billable; now: Date }>> {
  const found = await ctx.db.query<SubscriptionRow>(
    'SELECT * FROM subscriptions WHERE id = $1 AND livemode = $2 FOR UPDATE',
    [id, ctx.livemode],
  );
  const row = found.rows[0];
  if (row === undefined) return fail(notFound('subscription', id));
  if (row.status === 'canceled')
    return fail(domainError('subscription_canceled', `Subscription ${id} is canceled.`));
  const time = await holderTime(ctx.db, row.holder_id, ctx.now);
  if (!time.ok) return time;
  const [billable] = await loadBillables(ctx.db, [row]);
  assert(billable !== undefined, 'the subscription loads');
  return ok({ billable, now: time.value.now });
}

/** Writes the subscription's new state with an invoice of `lines` (collected now), or alone. */
async function commitChange(
  ctx: RailContext,
  billable: Billable,
  subscription: SubscriptionRow,
  invoice: {
    lines: LineDraft[];
    reason: BillingReason;
    pending_item_ids?: string[];
    usage_record_ids?: string[];
    period?: { start: Date; end: Date };
  } | null,
  now: Date,
): Promise<SubscriptionView> {
  const moved: Billable = { ...billable, subscription };
  if (invoice === null || invoice.lines.length === 0) {
    await saveSubscriptions(ctx.db, [subscription]);
    const view = subscriptionView(subscription, billable.items);
    const type =
      subscription.status === 'canceled' ? 'customer.subscription.deleted' : 'customer.subscription.updated';
    await recordEvents(ctx.db, [eventOf(type, view)], now);
    return view;
  }
  const period = invoice.period ?? {
    start: subscription.current_period_start,
    end: subscription.current_period_end,
  };
  let { draft, coupon_id } = draftFor(moved, invoice.lines, invoice.reason, period, now);
  if (draft.total < 0n) {
    const paid = await paidSince(ctx.db, subscription.id, subscription.current_period_start);
    const excess = -draft.total - (paid > 0n ? paid : 0n);
    if (excess > 0n)
      ({ draft, coupon_id } = draftFor(
        moved,
        [...invoice.lines, creditLimit(excess, period)],
        invoice.reason,
        period,
        now,
      ));
  }
  const done = await carryOut({ ...ctx, now }, [
    {
      billable: { ...moved, subscription: billable.subscription },
      subscription: { ...subscription, coupon_id, latest_invoice_id: draft.id },
      draft,
      usage_record_ids: invoice.usage_record_ids ?? [],
      pending_item_ids: invoice.pending_item_ids ?? [],
    },
  ]);
  const after = done.subscriptions[0];
  assert(after !== undefined, 'one subscription');
  return subscriptionView(after, billable.items);
}

/** The line that brings a credit down to what was paid for the period (credits.ts paidSince). */
function creditLimit(amount_minor: bigint, period: { start: Date; end: Date }): LineDraft {
  return {
    type: 'proration',
    description: 'Credit limited to what was paid for the period',
    price_id: null,
    subscription_item_id: null,
    quantity: 1n,
    unit_amount_minor: null,
    amount_minor,
    proration: true,
    discountable: false,
    taxable: false,
    period_start: period.start,
    period_end: period.end,
  };
}

type UpdateInput = Static<typeof UpdateSubscriptionBody>;

/** Lines an update may put on one invoice; the table holds 250. */
const invoice_lines_max = 200;
/** Items one subscription may have, as when it is created (subscription-schemas.ts). */
const items_max = 20;

/**
 * Changes items, quantities, the coupon, tax rates or cancel_at_period_end. A change to licensed
 * items in a paid period is prorated to the millisecond: what was charged for the time left is
 * credited (credits.ts), the items as they are now are charged for it (lines.ts remainingTime).
 * By default the lines wait for the next invoice; `always_invoice` bills and collects them now;
 * `none` skips them.
 */
export async function updateSubscription(
  ctx: RailContext,
  id: string,
  input: UpdateInput,
): Promise<Result<SubscriptionView>> {
  const locked = await lockBillable(ctx, id);
  if (!locked.ok) return locked;
  const { billable, now } = locked.value;
  const sub = billable.subscription;
  const items =
    input.items === undefined ? ok(billable.items) : await changedItems(ctx, billable, input.items, now);
  if (!items.ok) return items;
  const coupon = await redeemCoupon(ctx.db, ctx.livemode, input.coupon, sub.asset, 'coupon');
  if (!coupon.ok) return coupon;
  const tax_rates =
    input.default_tax_rates === undefined
      ? ok(billable.tax_rates)
      : await loadTaxRates(ctx.db, ctx.livemode, input.default_tax_rates, 'default_tax_rates');
  if (!tax_rates.ok) return tax_rates;
  const metadata = mergeMetadata(sub.metadata, input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const next: SubscriptionRow = {
    ...sub,
    cancel_at_period_end: input.cancel_at_period_end ?? sub.cancel_at_period_end,
    coupon_id: coupon.value?.id ?? sub.coupon_id,
    // A new coupon brings its own end: a repeating one runs its months from now.
    discount_end: coupon.value === null ? sub.discount_end : discountEnd(coupon.value, now),
    tax_rate_ids: tax_rates.value.map((rate) => rate.id),
    metadata: metadata.value,
    updated_at: now,
  };
  await ctx.db.query(
    'UPDATE subscriptions SET tax_rate_ids = $2, metadata = $3, discount_end = $4 WHERE id = $1',
    [id, next.tax_rate_ids, next.metadata, next.discount_end],
  );
  const after: Billable = {
    subscription: next,
    items: items.value,
    coupon: coupon.value ?? billable.coupon,
    tax_rates: tax_rates.value,
  };
  const behavior = input.proration_behavior ?? 'create_prorations';
  // Only a period that was paid is prorated: a past_due one's invoice is still open.
  const paid_period = sub.status === 'active';
  const lines =
    input.items === undefined || behavior === 'none' || !paid_period
      ? []
      : withoutUnchanged(
          await unusedTime(ctx.db, sub, now, true),
          remainingTime(
            items.value,
            now,
            sub.current_period_end,
            sub.current_period_end.getTime() - intervalBefore(sub).getTime(),
          ),
        );
  // A subscription paid from a source cannot be paid back at once: its credits wait and are netted
  // against the next invoice's charges.
  const owed = lines.reduce((sum, line) => sum + line.amount_minor, 0n);
  if (behavior === 'create_prorations' || lines.length === 0 || (sub.source !== null && owed < 0n)) {
    const waiting = (await pendingLines(ctx.db, [id])).get(id)?.ids.length ?? 0;
    if (waiting + lines.length > pending_lines_max)
      return fail(
        domainError(
          'invalid_state',
          `${waiting} prorations already wait for the next invoice; invoice them now with proration_behavior "always_invoice".`,
          'proration_behavior',
        ),
      );
    await insertPending(ctx, id, lines, now);
    return ok(await commitChange(ctx, after, next, null, now));
  }
  const pending = (await pendingLines(ctx.db, [id])).get(id) ?? { ids: [], lines: [] };
  if (pending.lines.length + lines.length > invoice_lines_max)
    return fail(
      domainError('invalid_state', 'The change would need more lines than one invoice holds.', 'items'),
    );
  return ok(
    await commitChange(
      ctx,
      after,
      next,
      { lines: [...pending.lines, ...lines], reason: 'subscription_update', pending_item_ids: pending.ids },
      now,
    ),
  );
}

async function insertPending(
  ctx: RailContext,
  subscription_id: string,
  lines: readonly LineDraft[],
  now: Date,
): Promise<void> {
  if (lines.length === 0) return;
  await ctx.db.query(
    `INSERT INTO invoice_items (id, livemode, subscription_id, line, created_at)
     SELECT id, $1, $2, line, $3 FROM unnest($4::text[], $5::jsonb[]) AS u (id, line)`,
    [
      ctx.livemode,
      subscription_id,
      now,
      lines.map(() => newId('invoice_item', now.getTime())),
      lines.map((l) => JSON.stringify(storeDraft(l))),
    ],
  );
}

/** Applies item changes to the rows and returns the items as they now are (removed ones marked). */
async function changedItems(
  ctx: RailContext,
  billable: Billable,
  changes: NonNullable<UpdateInput['items']>,
  now: Date,
): Promise<Result<PricedItem[]>> {
  const items = billable.items.map((priced) => ({ ...priced, item: { ...priced.item } }));
  const reference = billable.items[0]?.price;
  for (const [i, change] of changes.entries()) {
    const param = `items.${i}`;
    const price =
      change.price_id === undefined
        ? undefined
        : await priceFor(ctx, change.price_id, reference, `${param}.price_id`);
    if (price !== undefined && !price.ok) return price;
    if (change.id === undefined) {
      if (price === undefined)
        return fail(domainError('invalid_request', 'A new item needs price_id.', `${param}.price_id`));
      if (items.some(({ item, price: p }) => item.deleted_at === null && p.id === price.value.id))
        return fail(
          domainError(
            'invalid_request',
            `Price ${price.value.id} is already an item; change its quantity.`,
            `${param}.price_id`,
          ),
        );
      await insertItems(
        ctx.db,
        billable.subscription.id,
        [{ price: price.value, quantity: change.quantity ?? 1 }],
        now,
      );
      continue;
    }
    const existing = items.find(({ item }) => item.id === change.id && item.deleted_at === null);
    if (existing === undefined) return fail(notFound('subscription item', change.id, `${param}.id`));
    if (change.deleted === true) existing.item.deleted_at = now;
    if (
      price !== undefined &&
      items.some(
        ({ item, price: p }) =>
          item.deleted_at === null && item.id !== existing.item.id && p.id === price.value.id,
      )
    )
      return fail(
        domainError(
          'invalid_request',
          `Price ${price.value.id} is already an item; change its quantity.`,
          `${param}.price_id`,
        ),
      );
    if (price !== undefined) existing.price = price.value;
    if (change.quantity !== undefined) existing.item.quantity = String(change.quantity);
    await ctx.db.query(
      'UPDATE subscription_items SET price_id = $2, quantity = $3, deleted_at = $4 WHERE id = $1',
      [existing.item.id, existing.price.id, existing.item.quantity, existing.item.deleted_at],
    );
  }
  const [reloaded] = await loadBillables(ctx.db, [billable.subscription]);
  assert(reloaded !== undefined, 'the subscription loads');
  const active = reloaded.items.filter(({ item }) => item.deleted_at === null);
  if (active.length > items_max)
    return fail(domainError('invalid_request', `A subscription has at most ${items_max} items.`, 'items'));
  // A metered item's unbilled usage is billed at its price as it is at the period's end.
  const unbilled = await ctx.db.query<{ subscription_item_id: string; total: string }>(
    `SELECT subscription_item_id, sum(quantity)::text AS total FROM usage_records
     WHERE subscription_item_id = ANY($1::text[]) AND invoice_id IS NULL GROUP BY subscription_item_id`,
    [active.map(({ item }) => item.id)],
  );
  for (const { subscription_item_id, total } of unbilled.rows) {
    const priced = active.find(({ item }) => item.id === subscription_item_id);
    const refused =
      priced === undefined
        ? undefined
        : lineTooLarge(amountCeiling(termsOf(priced.price), BigInt(total)), 'items');
    if (refused !== undefined) return fail(refused);
  }
  for (const [i, priced] of reloaded.items.entries()) {
    const refused =
      priced.price.usage_type === 'licensed'
        ? lineTooLarge(itemAmount(priced), `items.${i}.quantity`)
        : undefined;
    if (refused !== undefined) return fail(refused);
  }
  if (!reloaded.items.some(({ item }) => item.deleted_at === null))
    return fail(
      domainError('invalid_request', 'A subscription keeps at least one item; cancel it instead.', 'items'),
    );
  return ok([...reloaded.items]);
}

async function priceFor(
  ctx: RailContext,
  id: string,
  reference: PriceRow | undefined,
  param: string,
): Promise<Result<PriceRow>> {
  const found = await ctx.db.query<PriceRow & { product_active: boolean }>(
    `SELECT p.*, pr.name AS product_name, pr.active AS product_active FROM prices p JOIN products pr ON pr.id = p.product_id
     WHERE p.id = $1 AND p.livemode = $2`,
    [id, ctx.livemode],
  );
  const price = found.rows[0];
  if (price === undefined) return fail(notFound('price', id, param));
  if (!price.active || !price.product_active)
    return fail(domainError('price_inactive', `Price ${id} or its product is archived.`, param));
  if (
    reference !== undefined &&
    (price.asset !== reference.asset ||
      price.recurring_interval !== reference.recurring_interval ||
      price.recurring_interval_count !== reference.recurring_interval_count)
  )
    return fail(
      domainError(
        'price_mismatch',
        "A new price must share the subscription's currency and interval.",
        param,
      ),
    );
  return ok(price);
}

/**
 * Ends a subscription now. With `prorate`, the unused time of the paid period is credited back to
 * the wallet on a final invoice; usage not yet billed is billed on it too (unless invoice_now is
 * false, when it is dropped with the subscription).
 */
export async function cancelSubscription(
  ctx: RailContext,
  id: string,
  input: Static<typeof CancelSubscriptionBody>,
): Promise<Result<SubscriptionView>> {
  const locked = await lockBillable(ctx, id);
  if (!locked.ok) return locked;
  const { billable, now } = locked.value;
  const sub = billable.subscription;
  if (input.prorate === true && sub.wallet_id === null)
    return fail(
      domainError(
        'invalid_request',
        'A proration credit goes back to a wallet; this subscription is paid from a source.',
        'prorate',
      ),
    );
  const period = { start: sub.current_period_start, end: sub.current_period_end };
  const credit =
    input.prorate === true && sub.status === 'active'
      ? await unusedTime(ctx.db, sub, now, input.invoice_now !== false)
      : [];
  const lines: LineDraft[] = [...credit];
  let pending_ids: string[] = [];
  let usage_ids: string[] = [];
  if (input.invoice_now !== false) {
    const metered = billable.items
      .filter(({ price }) => price.usage_type === 'metered')
      .map(({ item }) => [item.id, now] as const);
    const usage = await unbilledUsage(ctx.db, new Map(metered));
    const pending = (await pendingLines(ctx.db, [id])).get(id) ?? { ids: [], lines: [] };
    lines.push(
      ...usageLines(billable.items, usage.quantities, { start: period.start, end: now }).filter(
        (l) => l.quantity > 0n,
      ),
      ...pending.lines,
    );
    pending_ids = pending.ids;
    usage_ids = [...usage.records.values()].flat();
  }
  const ended: SubscriptionRow = {
    ...sub,
    status: 'canceled',
    canceled_at: now,
    ended_at: now,
    updated_at: now,
  };
  return ok(
    await commitChange(
      ctx,
      billable,
      ended,
      {
        lines,
        reason: 'subscription_cancel',
        pending_item_ids: pending_ids,
        usage_record_ids: usage_ids,
        period: { start: period.start, end: now < period.end ? now : period.end },
      },
      now,
    ),
  );
}

/** Pauses renewals: nothing is billed until resumed. */
export async function pauseSubscription(ctx: RailContext, id: string): Promise<Result<SubscriptionView>> {
  const locked = await lockBillable(ctx, id);
  if (!locked.ok) return locked;
  const { billable, now } = locked.value;
  const sub = billable.subscription;
  if (!['active', 'trialing', 'past_due'].includes(sub.status))
    return fail(domainError('invalid_state', `A ${sub.status} subscription cannot be paused.`));
  const paused: SubscriptionRow = { ...sub, status: 'paused', paused_at: now, updated_at: now };
  await saveSubscriptions(ctx.db, [paused]);
  const view = subscriptionView(paused, billable.items);
  await recordEvents(ctx.db, [eventOf('customer.subscription.paused', view)], now);
  return ok(view);
}

/**
 * Resumes a paused subscription. Within the period it had paid for, it simply goes on; after it, a
 * new period starts now (the billing cycle anchor moves here) and is invoiced at once.
 */
export async function resumeSubscription(ctx: RailContext, id: string): Promise<Result<SubscriptionView>> {
  const locked = await lockBillable(ctx, id);
  if (!locked.ok) return locked;
  const { billable, now } = locked.value;
  const sub = billable.subscription;
  if (sub.status !== 'paused')
    return fail(domainError('invalid_state', 'Only a paused subscription can be resumed.'));
  // Pausing forgives nothing: a subscription that owed an invoice owes it still.
  const owing = await ctx.db.query(
    "SELECT 1 FROM invoices WHERE subscription_id = $1 AND status = 'open' LIMIT 1",
    [id],
  );
  const status =
    (owing.rowCount ?? 0) > 0
      ? 'past_due'
      : sub.trial_end !== null && sub.trial_end > now
        ? 'trialing'
        : 'active';
  const resumed: SubscriptionRow = { ...sub, status, paused_at: null, updated_at: now };
  if (now < sub.current_period_end) {
    await saveSubscriptions(ctx.db, [resumed]);
    const view = subscriptionView(resumed, billable.items);
    await recordEvents(ctx.db, [eventOf('customer.subscription.resumed', view)], now);
    return ok(view);
  }
  const restart: Billable = {
    ...billable,
    subscription: {
      ...resumed,
      status: status === 'past_due' ? 'past_due' : 'active',
      billing_cycle_anchor: now,
      current_period_end: now,
    },
  };
  const pending = (await pendingLines(ctx.db, [id])).get(id) ?? { ids: [], lines: [] };
  const metered = billable.items
    .filter(({ price }) => price.usage_type === 'metered')
    .map(({ item }) => [item.id, now] as const);
  const usage = await unbilledUsage(ctx.db, new Map(metered));
  const plan = planRenewal(
    restart,
    { quantities: usage.quantities, record_ids: [...usage.records.values()].flat() },
    pending,
    now,
  );
  const done = await carryOut({ ...ctx, now }, [plan]);
  const after = done.subscriptions[0];
  assert(after !== undefined, 'one subscription');
  const view = subscriptionView(after, billable.items);
  await recordEvents(ctx.db, [eventOf('customer.subscription.resumed', view)], now);
  return ok(view);
}
