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
  return insertInvoiceRows(db, await numberedRows(db, drafts, now));
}

/**
 * The rows `drafts` become when written: those that are `open` numbered, in the order given, and
 * finalized at `now`; every other column as the table's defaults set it. Takes the numbers, so it
 * runs in the transaction that inserts the rows.
 */
export async function numberedRows(
  db: Queryable,
  drafts: readonly InvoiceDraft[],
  now: Date,
): Promise<InvoiceRow[]> {
  const numbers = new Map<string, string>();
  for (const livemode of [false, true]) {
    const open = drafts.filter((d) => d.livemode === livemode && d.status === 'open');
    const taken = await takeNumbers(db, livemode, open.length);
    for (const [i, d] of open.entries()) numbers.set(d.id, taken[i] ?? '');
  }
  return drafts.map((d) => ({
    id: d.id,
    livemode: d.livemode,
    number: numbers.get(d.id) ?? null,
    holder_id: d.holder_id,
    subscription_id: d.subscription_id,
    status: d.status,
    billing_reason: d.billing_reason,
    collection_method: d.collection_method,
    asset: d.asset,
    wallet_id: d.wallet_id,
    source: d.source,
    revenue_account_id: d.revenue_account_id,
    period_start: d.period_start,
    period_end: d.period_end,
    lines: [...d.lines],
    coupon_id: d.coupon_id,
    tax_rate_ids: [...d.tax_rate_ids],
    subtotal: d.subtotal.toString(),
    discount: d.discount.toString(),
    tax: d.tax.toString(),
    total: d.total.toString(),
    amount_paid: '0',
    attempt_count: 0,
    next_payment_attempt: null,
    last_failure_code: null,
    due_date: d.due_date,
    ledger_transaction_id: null,
    payment_id: null,
    description: d.description,
    test_clock_id: d.test_clock_id,
    metadata: d.metadata,
    finalized_at: d.status === 'open' ? now : null,
    paid_at: null,
    voided_at: null,
    marked_uncollectible_at: null,
    created_at: now,
    updated_at: now,
  }));
}

/** Writes whole invoice rows with one multi-row INSERT; returns them as stored, in the order given. */
export async function insertInvoiceRows(db: Queryable, rows: readonly InvoiceRow[]): Promise<InvoiceRow[]> {
  if (rows.length === 0) return [];
  const column = <T>(pick: (r: InvoiceRow) => T) => rows.map(pick);
  const inserted = await db.query<InvoiceRow>(
    `INSERT INTO invoices (id, livemode, number, holder_id, subscription_id, status, billing_reason, collection_method,
       asset, wallet_id, source, revenue_account_id, period_start, period_end, lines, coupon_id, tax_rate_ids,
       subtotal, discount, tax, total, amount_paid, attempt_count, next_payment_attempt, last_failure_code, due_date,
       ledger_transaction_id, payment_id, description, test_clock_id, metadata, finalized_at, paid_at, voided_at,
       marked_uncollectible_at, created_at, updated_at)
     SELECT u.id, u.livemode, u.number, u.holder_id, u.subscription_id, u.status, u.billing_reason, u.collection_method,
       u.asset, u.wallet_id, u.source, u.revenue_account_id, u.period_start, u.period_end, u.lines, u.coupon_id,
       ARRAY(SELECT jsonb_array_elements_text(u.tax_rate_ids)), u.subtotal, u.discount, u.tax, u.total, u.amount_paid,
       u.attempt_count, u.next_payment_attempt, u.last_failure_code, u.due_date, u.ledger_transaction_id, u.payment_id,
       u.description, u.test_clock_id, u.metadata, u.finalized_at, u.paid_at, u.voided_at, u.marked_uncollectible_at,
       u.created_at, u.updated_at
     FROM ROWS FROM (unnest($1::text[], $2::boolean[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::timestamptz[], $14::timestamptz[]),
       jsonb_array_elements($15::jsonb),
       unnest($16::text[], $17::jsonb[], $18::numeric[], $19::numeric[], $20::numeric[], $21::numeric[],
         $22::numeric[], $23::integer[], $24::timestamptz[], $25::text[], $26::timestamptz[], $27::text[], $28::text[],
         $29::text[], $30::text[], $31::jsonb[], $32::timestamptz[], $33::timestamptz[], $34::timestamptz[],
         $35::timestamptz[], $36::timestamptz[], $37::timestamptz[]))
       AS u (id, livemode, number, holder_id, subscription_id, status, billing_reason, collection_method, asset,
         wallet_id, source, revenue_account_id, period_start, period_end, lines, coupon_id, tax_rate_ids, subtotal,
         discount, tax, total, amount_paid, attempt_count, next_payment_attempt, last_failure_code, due_date,
         ledger_transaction_id, payment_id, description, test_clock_id, metadata, finalized_at, paid_at, voided_at,
         marked_uncollectible_at, created_at, updated_at)
     RETURNING *`,
    [
      column((r) => r.id),
      column((r) => r.livemode),
      column((r) => r.number),
      column((r) => r.holder_id),
      column((r) => r.subscription_id),
      column((r) => r.status),
      column((r) => r.billing_reason),
      column((r) => r.collection_method),
      column((r) => r.asset),
      column((r) => r.wallet_id),
      column((r) => (r.source === null ? null : JSON.stringify(r.source))),
      column((r) => r.revenue_account_id),
      column((r) => r.period_start),
      column((r) => r.period_end),
      // Every invoice's lines in one JSON array, not a jsonb[]: node-postgres escapes an array
      // parameter's every element (see recordEvents); ROWS FROM pairs the n-th with the n-th invoice.
      JSON.stringify(column((r) => r.lines)),
      column((r) => r.coupon_id),
      column((r) => JSON.stringify(r.tax_rate_ids)),
      column((r) => r.subtotal),
      column((r) => r.discount),
      column((r) => r.tax),
      column((r) => r.total),
      column((r) => r.amount_paid),
      column((r) => r.attempt_count),
      column((r) => r.next_payment_attempt),
      column((r) => r.last_failure_code),
      column((r) => r.due_date),
      column((r) => r.ledger_transaction_id),
      column((r) => r.payment_id),
      column((r) => r.description),
      column((r) => r.test_clock_id),
      column((r) => JSON.stringify(r.metadata)),
      column((r) => r.finalized_at),
      column((r) => r.paid_at),
      column((r) => r.voided_at),
      column((r) => r.marked_uncollectible_at),
      column((r) => r.created_at),
      column((r) => r.updated_at),
    ],
  );
  const by_id = new Map(inserted.rows.map((row) => [row.id, row]));
  return rows.map((r) => {
    const row = by_id.get(r.id);
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
