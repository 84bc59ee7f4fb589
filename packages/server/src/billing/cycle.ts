import { assetScale } from '../assets/service.js';
import type { Queryable } from '../db/pool.js';
import { eventOf, type NewEvent, recordEvents } from '../events/index.js';
import type { RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { type Attempt, collect } from './collect.js';
import { afterAttempt } from './dunning.js';
import { type InvoiceRow, invoiceView } from './invoice-views.js';
import { insertInvoiceRows, numberedRows } from './invoices.js';
import type { Plan } from './plans.js';
import { markBilled } from './state.js';
import { type PricedItem, type SubscriptionRow, subscriptionView } from './subscription-views.js';
import { saveSubscriptions } from './writes.js';

export interface CarriedOut {
  readonly subscriptions: SubscriptionRow[];
  readonly invoices: InvoiceRow[];
}

/**
 * Writes what the plans decided, for any number of subscriptions with a fixed number of statements:
 * which usage and prorations each invoice billed, one collection of them all (collect.ts), the
 * invoices (numbered) as dunning's verdict on each attempt left them, the subscriptions' new
 * state, and the events, in the order they happened. The caller's transaction makes it all or
 * nothing.
 */
export async function carryOut(ctx: RailContext, plans: readonly Plan[]): Promise<CarriedOut> {
  const drafts = plans.flatMap((plan) => (plan.draft === null ? [] : [plan.draft]));
  // Numbered first (the counter is still the first lock taken), collected next, and only then
  // inserted, each in the state its collection left it: inserting and then updating wrote every
  // invoice twice and checked its foreign keys again (the update of a row inserted by the same
  // transaction re-checks them), 55 ms of a 1,000-renewal batch's ~500 ms. Nothing in a collection
  // reads the invoices table.
  const numbered = await numberedRows(ctx.db, drafts, ctx.now);
  const billed = (pick: (plan: Plan) => readonly string[]) =>
    plans.flatMap((plan) => pick(plan).map((id) => [id, plan.draft?.id ?? ''] as const));
  const usage = billed((plan) => plan.usage_record_ids);
  const pending = billed((plan) => plan.pending_item_ids);
  await markBilled(
    ctx.db,
    'usage_records',
    usage.map(([id]) => id),
    usage.map(([, inv]) => inv),
  );
  await markBilled(
    ctx.db,
    'invoice_items',
    pending.map(([id]) => id),
    pending.map(([, inv]) => inv),
  );
  const subscriptions = new Map(plans.map((plan) => [plan.subscription.id, plan.subscription]));
  const attempts = await collect(
    ctx,
    numbered.filter((inv) => inv.status === 'open' && inv.collection_method === 'charge_automatically'),
  );
  const settled = settle(attempts, subscriptions, ctx.now);
  const invoices = await insertInvoiceRows(
    ctx.db,
    numbered.map((inv) => settled.get(inv.id) ?? inv),
  );
  await saveSubscriptions(ctx.db, [...subscriptions.values()]);
  const before = new Map(plans.map((plan) => [plan.subscription.id, plan.billable.subscription]));
  const items = new Map(plans.map((plan) => [plan.subscription.id, plan.billable.items]));
  const events: NewEvent[] = [];
  const scales = new ScaleCache(ctx.db);
  // By id, not searched for each plan: a batch of 1,000 renewals searched half a million times.
  const invoice_by_id = new Map(invoices.map((inv) => [inv.id, inv]));
  const attempted = new Set(attempts.map((attempt) => attempt.invoice.id));
  for (const plan of plans) {
    const after = subscriptions.get(plan.subscription.id);
    assert(after !== undefined, 'every planned subscription is kept');
    if (plan.created)
      events.push(eventOf('customer.subscription.created', subscriptionView(after, plan.billable.items)));
    const invoice = plan.draft === null ? undefined : invoice_by_id.get(plan.draft.id);
    if (invoice !== undefined)
      events.push(...(await invoiceEvents(scales, invoice, attempted.has(invoice.id))));
    if (!plan.created)
      events.push(...subscriptionEvents(before.get(after.id), after, items.get(after.id) ?? []));
  }
  await recordEvents(ctx.db, events, ctx.now);
  return { subscriptions: [...subscriptions.values()], invoices };
}

/** Applies dunning's verdict on each attempt to the invoice and, through the map, its subscription. */
export function settle(
  attempts: readonly Attempt[],
  subscriptions: Map<string, SubscriptionRow>,
  now: Date,
): Map<string, InvoiceRow> {
  const settled = new Map<string, InvoiceRow>();
  for (const { invoice, collected } of attempts) {
    const sub = invoice.subscription_id === null ? undefined : subscriptions.get(invoice.subscription_id);
    const after = afterAttempt(invoice, collected, sub, now);
    settled.set(invoice.id, after.invoice);
    if (after.subscription !== undefined) subscriptions.set(after.subscription.id, after.subscription);
  }
  return settled;
}

/** Scales of the assets invoices are in, looked up once per batch. */
export class ScaleCache {
  private readonly scales = new Map<string, number>();
  constructor(private readonly db: Queryable) {}

  async of(livemode: boolean, asset: string): Promise<number> {
    const key = `${livemode}:${asset}`;
    const known = this.scales.get(key);
    if (known !== undefined) return known;
    const scale = await assetScale(this.db, livemode, asset, 'currency');
    assert(scale.ok, `invoice asset ${asset} exists`);
    this.scales.set(key, scale.value);
    return scale.value;
  }
}

/**
 * The events of a new invoice: created, finalized, and the outcome of its first collection when
 * it was `attempted`.
 */
export async function invoiceEvents(
  scales: ScaleCache,
  invoice: InvoiceRow,
  attempted: boolean,
): Promise<NewEvent[]> {
  const view = invoiceView(invoice, await scales.of(invoice.livemode, invoice.asset));
  const events = [eventOf('invoice.created', view)];
  if (invoice.status !== 'draft') events.push(eventOf('invoice.finalized', view));
  if (attempted) events.push(...outcomeEvents(invoice, view));
  return events;
}

/** What an attempt's result says about the invoice: paid, or failed (and given up on). */
export function outcomeEvents(invoice: InvoiceRow, view: ReturnType<typeof invoiceView>): NewEvent[] {
  if (invoice.status === 'paid') return [eventOf('invoice.paid', view)];
  if (invoice.last_failure_code === null) return [];
  const failed = [eventOf('invoice.payment_failed', view)];
  return invoice.status === 'uncollectible'
    ? [...failed, eventOf('invoice.marked_uncollectible', view)]
    : failed;
}

/** customer.subscription.updated when anything moved, and .deleted when it ended. */
export function subscriptionEvents(
  before: SubscriptionRow | undefined,
  after: SubscriptionRow,
  items: readonly PricedItem[],
): NewEvent[] {
  const view = subscriptionView(after, items);
  if (after.status === 'canceled' && before?.status !== 'canceled')
    return [eventOf('customer.subscription.deleted', view)];
  return [eventOf('customer.subscription.updated', view)];
}
