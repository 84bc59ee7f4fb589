import type { Queryable } from '../db/pool.js';
import type { PriceRow } from './catalog-views.js';
import { type CouponRow, type TaxRateRow, type TaxRateTerms, taxRateTerms } from './discounts.js';
import { type LineDraft, loadDraft, type StoredDraft } from './lines.js';
import type { ItemRow, PricedItem, SubscriptionRow } from './subscription-views.js';

/** A subscription with everything its next invoice is computed from. */
export interface Billable {
  readonly subscription: SubscriptionRow;
  readonly items: readonly PricedItem[];
  readonly coupon: CouponRow | null;
  readonly tax_rates: readonly TaxRateTerms[];
}

/**
 * Loads the items (with prices and product names), coupons and tax rates of many subscriptions
 * with three queries, whatever their number: the billing run renews thousands at once.
 */
export async function loadBillables(
  db: Queryable,
  subscriptions: readonly SubscriptionRow[],
): Promise<Billable[]> {
  if (subscriptions.length === 0) return [];
  const items = await db.query<ItemRow & { price: PriceRow }>(
    `SELECT si.*, to_jsonb(p) || jsonb_build_object('product_name', pr.name, 'unit_amount', p.unit_amount::text) AS price
     FROM subscription_items si JOIN prices p ON p.id = si.price_id JOIN products pr ON pr.id = p.product_id
     WHERE si.subscription_id = ANY($1::text[]) ORDER BY si.id`,
    [subscriptions.map((s) => s.id)],
  );
  const by_subscription = new Map<string, PricedItem[]>();
  for (const { price, ...item } of items.rows) {
    const list = by_subscription.get(item.subscription_id) ?? [];
    list.push({
      item,
      price: { ...price, created_at: new Date(price.created_at), updated_at: new Date(price.updated_at) },
    });
    by_subscription.set(item.subscription_id, list);
  }
  const coupon_ids = [...new Set(subscriptions.map((s) => s.coupon_id).filter((id) => id !== null))];
  const coupons = await db.query<CouponRow>('SELECT * FROM coupons WHERE id = ANY($1::text[])', [coupon_ids]);
  const coupon_by_id = new Map(coupons.rows.map((row) => [row.id, row]));
  // A subscription's tax rates were checked to be of its mode when it was given them; a batch
  // may hold both modes, so they are read by id alone.
  const rate_ids = [...new Set(subscriptions.flatMap((s) => s.tax_rate_ids))];
  const found_rates = await db.query<TaxRateRow>('SELECT * FROM tax_rates WHERE id = ANY($1::text[])', [
    rate_ids,
  ]);
  const rates = new Map(found_rates.rows.map((row) => [row.id, taxRateTerms(row)]));
  return subscriptions.map((subscription) => ({
    subscription,
    items: by_subscription.get(subscription.id) ?? [],
    coupon: subscription.coupon_id === null ? null : (coupon_by_id.get(subscription.coupon_id) ?? null),
    tax_rates: subscription.tax_rate_ids.flatMap((id) => rates.get(id) ?? []),
  }));
}

export interface Unbilled {
  /** Per subscription item, the quantity its unbilled usage records add up to, and their ids. */
  readonly quantities: Map<string, bigint>;
  readonly records: Map<string, string[]>;
}

/**
 * The usage not yet billed with a timestamp before its item's cutoff (the end of the period being
 * billed), per item. A record is billed once, on the first invoice written after it arrives whose
 * period it precedes: a late record for a closed period is billed on the next invoice. Records
 * apply in timestamp order: `increment` adds its quantity, `set` replaces the running total.
 */
export async function unbilledUsage(db: Queryable, cutoffs: ReadonlyMap<string, Date>): Promise<Unbilled> {
  const quantities = new Map<string, bigint>();
  const records = new Map<string, string[]>();
  if (cutoffs.size === 0) return { quantities, records };
  const found = await db.query<{
    id: string;
    subscription_item_id: string;
    quantity: string;
    action: string;
  }>(
    `SELECT r.id, r.subscription_item_id, r.quantity, r.action
     FROM usage_records r JOIN unnest($1::text[], $2::timestamptz[]) AS c (item_id, before) ON r.subscription_item_id = c.item_id
     WHERE r.invoice_id IS NULL AND r.timestamp < c.before
     ORDER BY r.subscription_item_id, r.timestamp, r.id FOR UPDATE OF r`,
    [[...cutoffs.keys()], [...cutoffs.values()]],
  );
  for (const record of found.rows) {
    const item = record.subscription_item_id;
    const running = record.action === 'set' ? 0n : (quantities.get(item) ?? 0n);
    quantities.set(item, running + BigInt(record.quantity));
    records.set(item, [...(records.get(item) ?? []), record.id]);
  }
  return { quantities, records };
}

/** Proration lines waiting for each subscription's next invoice. */
export async function pendingLines(
  db: Queryable,
  subscription_ids: readonly string[],
): Promise<Map<string, { ids: string[]; lines: LineDraft[] }>> {
  const pending = new Map<string, { ids: string[]; lines: LineDraft[] }>();
  if (subscription_ids.length === 0) return pending;
  const rows = await db.query<{ id: string; subscription_id: string; line: StoredDraft }>(
    `SELECT id, subscription_id, line FROM invoice_items
     WHERE subscription_id = ANY($1::text[]) AND invoice_id IS NULL ORDER BY id FOR UPDATE`,
    [[...subscription_ids]],
  );
  for (const row of rows.rows) {
    const entry = pending.get(row.subscription_id) ?? { ids: [], lines: [] };
    entry.ids.push(row.id);
    entry.lines.push(loadDraft(row.line));
    pending.set(row.subscription_id, entry);
  }
  return pending;
}

/** Marks usage records and pending lines as billed by their invoice. */
export async function markBilled(
  db: Queryable,
  table: 'usage_records' | 'invoice_items',
  ids: readonly string[],
  invoice_ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE ${table} SET invoice_id = u.invoice_id FROM unnest($1::text[], $2::text[]) AS u (id, invoice_id)
     WHERE ${table}.id = u.id`,
    [[...ids], [...invoice_ids]],
  );
}
