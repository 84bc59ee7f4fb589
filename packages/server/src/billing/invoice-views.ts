import type { Metadata } from '../shared/metadata.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import { sourceView } from './subscription-views.js';

/** One line of an invoice as stored (jsonb): amounts are minor units as text. */
export interface LineRow {
  id: string;
  type: 'subscription' | 'usage' | 'proration' | 'invoice_item';
  description: string;
  price_id: string | null;
  subscription_item_id: string | null;
  quantity: string;
  unit_amount_minor: string | null;
  amount_minor: string;
  discount_minor: string;
  taxes: { tax_rate_id: string; inclusive: boolean; amount_minor: string }[];
  proration: boolean;
  period_start: string;
  period_end: string;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export interface InvoiceRow {
  id: string;
  livemode: boolean;
  number: string | null;
  holder_id: string;
  subscription_id: string | null;
  status: InvoiceStatus;
  billing_reason: string;
  collection_method: 'charge_automatically' | 'send_invoice';
  asset: string;
  wallet_id: string | null;
  source: Record<string, unknown> | null;
  revenue_account_id: string;
  period_start: Date;
  period_end: Date;
  lines: LineRow[];
  coupon_id: string | null;
  tax_rate_ids: string[];
  subtotal: string;
  discount: string;
  tax: string;
  total: string;
  amount_paid: string;
  attempt_count: number;
  next_payment_attempt: Date | null;
  last_failure_code: string | null;
  due_date: Date | null;
  ledger_transaction_id: string | null;
  payment_id: string | null;
  description: string | null;
  test_clock_id: string | null;
  metadata: Metadata;
  finalized_at: Date | null;
  paid_at: Date | null;
  voided_at: Date | null;
  marked_uncollectible_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** What is still owed: nothing once paid, void or a credit (a negative total is paid back). */
export function amountDue(row: Pick<InvoiceRow, 'status' | 'total'>): bigint {
  const total = minorFromDb(row.total);
  return row.status === 'open' || row.status === 'draft' || row.status === 'uncollectible' ? total : 0n;
}

export function lineView(line: LineRow, scale: number) {
  const money = (minor: string) => formatAmount(BigInt(minor), scale);
  return {
    id: line.id,
    object: 'line_item' as const,
    type: line.type,
    description: line.description,
    price_id: line.price_id,
    subscription_item_id: line.subscription_item_id,
    quantity: Number(line.quantity),
    unit_amount: line.unit_amount_minor === null ? null : money(line.unit_amount_minor),
    amount: money(line.amount_minor),
    discount_amount: money(line.discount_minor),
    tax_amounts: line.taxes.map((tax) => ({
      tax_rate_id: tax.tax_rate_id,
      inclusive: tax.inclusive,
      amount: money(tax.amount_minor),
    })),
    proration: line.proration,
    period: { start: line.period_start, end: line.period_end },
  };
}

export function invoiceView(row: InvoiceRow, scale: number) {
  const money = (minor: bigint) => formatAmount(minor, scale);
  const total = minorFromDb(row.total);
  return {
    id: row.id,
    object: 'invoice' as const,
    livemode: row.livemode,
    number: row.number,
    holder_id: row.holder_id,
    subscription_id: row.subscription_id,
    status: row.status,
    billing_reason: row.billing_reason,
    collection_method: row.collection_method,
    currency: row.asset,
    wallet_id: row.wallet_id,
    source: row.source === null ? null : sourceView(row.source),
    period_start: row.period_start.toISOString(),
    period_end: row.period_end.toISOString(),
    lines: row.lines.map((line) => lineView(line, scale)),
    coupon_id: row.coupon_id,
    tax_rate_ids: row.tax_rate_ids,
    subtotal: money(minorFromDb(row.subtotal)),
    discount: money(minorFromDb(row.discount)),
    tax: money(minorFromDb(row.tax)),
    total: money(total),
    amount_paid: money(minorFromDb(row.amount_paid)),
    amount_due: money(amountDue(row)),
    attempt_count: row.attempt_count,
    next_payment_attempt: iso(row.next_payment_attempt),
    last_failure_code: row.last_failure_code,
    due_date: iso(row.due_date),
    ledger_transaction_id: row.ledger_transaction_id,
    payment_id: row.payment_id,
    description: row.description,
    test_clock_id: row.test_clock_id,
    metadata: row.metadata,
    finalized_at: iso(row.finalized_at),
    paid_at: iso(row.paid_at),
    voided_at: iso(row.voided_at),
    marked_uncollectible_at: iso(row.marked_uncollectible_at),
    created_at: row.created_at.toISOString(),
  };
}

export type InvoiceView = ReturnType<typeof invoiceView>;
