import type { Client, Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { newId } from '../shared/ids.js';
import type { Metadata } from '../shared/metadata.js';
import type { InvoiceRow, LineRow } from './invoice-views.js';

/** An invoice about to be written: its lines and totals are final; a number comes with `open`. */
export interface InvoiceDraft {
  readonly id: string;
  readonly livemode: boolean;
  readonly status: 'draft' | 'open';
  readonly holder_id: string;
  readonly subscription_id: string | null;
  readonly billing_reason: string;
  readonly collection_method: InvoiceRow['collection_method'];
  readonly asset: string;
  readonly wallet_id: string | null;
  readonly source: Record<string, unknown> | null;
  readonly revenue_account_id: string;
  readonly period_start: Date;
  readonly period_end: Date;
  readonly lines: readonly LineRow[];
  readonly coupon_id: string | null;
  readonly tax_rate_ids: readonly string[];
  readonly subtotal: bigint;
  readonly discount: bigint;
  readonly tax: bigint;
  readonly total: bigint;
  readonly due_date: Date | null;
  readonly description: string | null;
  readonly test_clock_id: string | null;
  readonly metadata: Metadata;
}

export function newInvoiceId(now: Date): string {
  return newId('invoice', now.getTime());
}

/**
 * Takes the next `count` invoice numbers of a mode: one row per mode, locked until commit, so
 * numbers are given in commit order with no gaps (a rolled-back transaction gives its block back).
 */
export async function takeNumbers(db: Queryable, livemode: boolean, count: number): Promise<string[]> {
  if (count === 0) return [];
  const taken = await db.query<{ last: string }>(
    'UPDATE invoice_number_counters SET last = last + $2 WHERE livemode = $1 RETURNING last',
    [livemode, count],
  );
  const last = BigInt(taken.rows[0]?.last ?? '0');
  assert(last >= BigInt(count), 'the counter row of each mode exists');
  const prefix = livemode ? 'INV' : 'INV-TEST';
  return Array.from(
    { length: count },
    (_, i) => `${prefix}-${(last - BigInt(count - 1 - i)).toString().padStart(6, '0')}`,
  );
}

/**
 * Writes invoices with one multi-row INSERT; those that are `open` get their numbers, in the order
 * given, and are finalized at `now`.
 */
export async function insertInvoices(
  db: Queryable,
  drafts: readonly InvoiceDraft[],
  now: Date,
): Promise<InvoiceRow[]> {
  if (drafts.length === 0) return [];
  const numbers = new Map<string, string>();
  for (const livemode of [false, true]) {
    const open = drafts.filter((d) => d.livemode === livemode && d.status === 'open');
    const taken = await takeNumbers(db, livemode, open.length);
    for (const [i, d] of open.entries()) numbers.set(d.id, taken[i] ?? '');
  }
  const column = <T>(pick: (d: InvoiceDraft) => T) => drafts.map(pick);
  const inserted = await db.query<InvoiceRow>(
    `INSERT INTO invoices (id, livemode, number, holder_id, subscription_id, status, billing_reason, collection_method,
       asset, wallet_id, source, revenue_account_id, period_start, period_end, lines, coupon_id, tax_rate_ids,
       subtotal, discount, tax, total, due_date, description, test_clock_id, metadata, finalized_at, created_at, updated_at)
     SELECT u.id, u.livemode, u.number, u.holder_id, u.subscription_id, u.status, u.billing_reason, u.collection_method,
       u.asset, u.wallet_id, u.source, u.revenue_account_id, u.period_start, u.period_end, u.lines, u.coupon_id,
       ARRAY(SELECT jsonb_array_elements_text(u.tax_rate_ids)), u.subtotal, u.discount, u.tax, u.total, u.due_date,
       u.description, u.test_clock_id, u.metadata, CASE WHEN u.status = 'open' THEN $1::timestamptz END, $1, $1
     FROM unnest($2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
       $10::text[], $11::text[], $12::jsonb[], $13::text[], $14::timestamptz[], $15::timestamptz[], $16::jsonb[],
       $17::text[], $18::jsonb[], $19::numeric[], $20::numeric[], $21::numeric[], $22::numeric[], $23::timestamptz[],
       $24::text[], $25::text[], $26::jsonb[])
       AS u (id, livemode, number, holder_id, subscription_id, status, billing_reason, collection_method, asset,
         wallet_id, source, revenue_account_id, period_start, period_end, lines, coupon_id, tax_rate_ids, subtotal,
         discount, tax, total, due_date, description, test_clock_id, metadata)
     RETURNING *`,
    [
      now,
      column((d) => d.id),
      column((d) => d.livemode),
      column((d) => numbers.get(d.id) ?? null),
      column((d) => d.holder_id),
      column((d) => d.subscription_id),
      column((d) => d.status),
      column((d) => d.billing_reason),
      column((d) => d.collection_method),
      column((d) => d.asset),
      column((d) => d.wallet_id),
      column((d) => (d.source === null ? null : JSON.stringify(d.source))),
      column((d) => d.revenue_account_id),
      column((d) => d.period_start),
      column((d) => d.period_end),
      column((d) => JSON.stringify(d.lines)),
      column((d) => d.coupon_id),
      column((d) => JSON.stringify(d.tax_rate_ids)),
      column((d) => d.subtotal.toString()),
      column((d) => d.discount.toString()),
      column((d) => d.tax.toString()),
      column((d) => d.total.toString()),
      column((d) => d.due_date),
      column((d) => d.description),
      column((d) => d.test_clock_id),
      column((d) => JSON.stringify(d.metadata)),
    ],
  );
  const by_id = new Map(inserted.rows.map((row) => [row.id, row]));
  return drafts.map((d) => {
    const row = by_id.get(d.id);
    assert(row !== undefined, 'inserted invoice');
    return row;
  });
}

/** The invoice's row, locked: every change of an invoice starts here. */
export async function lockInvoice(
  db: Client,
  livemode: boolean,
  id: string,
): Promise<InvoiceRow | undefined> {
  const found = await db.query<InvoiceRow>(
    'SELECT * FROM invoices WHERE id = $1 AND livemode = $2 FOR UPDATE',
    [id, livemode],
  );
  return found.rows[0];
}
