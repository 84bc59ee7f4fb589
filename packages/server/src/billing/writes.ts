import type { Queryable } from '../db/pool.js';
import type { InvoiceRow } from './invoice-views.js';
import type { SubscriptionRow } from './subscription-views.js';

/**
 * Writes back what changed on invoices after collection or a status change, for many at once in
 * one statement. Amounts and lines never change once an invoice is open; only these columns do.
 */
export async function saveInvoices(db: Queryable, rows: readonly InvoiceRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE invoices SET status = u.status, amount_paid = u.amount_paid, attempt_count = u.attempt_count,
       next_payment_attempt = u.next_payment_attempt, last_failure_code = u.last_failure_code,
       ledger_transaction_id = u.ledger_transaction_id, payment_id = u.payment_id, paid_at = u.paid_at,
       voided_at = u.voided_at, marked_uncollectible_at = u.marked_uncollectible_at, updated_at = u.updated_at
     FROM unnest($1::text[], $2::text[], $3::numeric[], $4::integer[], $5::timestamptz[], $6::text[], $7::text[],
       $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
       AS u (id, status, amount_paid, attempt_count, next_payment_attempt, last_failure_code, ledger_transaction_id,
         payment_id, paid_at, voided_at, marked_uncollectible_at, updated_at)
     WHERE invoices.id = u.id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.status),
      rows.map((r) => r.amount_paid),
      rows.map((r) => r.attempt_count),
      rows.map((r) => r.next_payment_attempt),
      rows.map((r) => r.last_failure_code),
      rows.map((r) => r.ledger_transaction_id),
      rows.map((r) => r.payment_id),
      rows.map((r) => r.paid_at),
      rows.map((r) => r.voided_at),
      rows.map((r) => r.marked_uncollectible_at),
      rows.map((r) => r.updated_at),
    ],
  );
}

/** Writes back every column of the subscriptions that a renewal, a change or dunning may move. */
export async function saveSubscriptions(db: Queryable, rows: readonly SubscriptionRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE subscriptions SET status = u.status, current_period_start = u.current_period_start,
       current_period_end = u.current_period_end, billing_cycle_anchor = u.billing_cycle_anchor,
       cancel_at_period_end = u.cancel_at_period_end, canceled_at = u.canceled_at, ended_at = u.ended_at,
       paused_at = u.paused_at, coupon_id = u.coupon_id, latest_invoice_id = u.latest_invoice_id,
       trial_end = u.trial_end, updated_at = u.updated_at
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::boolean[],
       $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[], $12::timestamptz[],
       $13::timestamptz[])
       AS u (id, status, current_period_start, current_period_end, billing_cycle_anchor, cancel_at_period_end,
         canceled_at, ended_at, paused_at, coupon_id, latest_invoice_id, trial_end, updated_at)
     WHERE subscriptions.id = u.id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.status),
      rows.map((r) => r.current_period_start),
      rows.map((r) => r.current_period_end),
      rows.map((r) => r.billing_cycle_anchor),
      rows.map((r) => r.cancel_at_period_end),
      rows.map((r) => r.canceled_at),
      rows.map((r) => r.ended_at),
      rows.map((r) => r.paused_at),
      rows.map((r) => r.coupon_id),
      rows.map((r) => r.latest_invoice_id),
      rows.map((r) => r.trial_end),
      rows.map((r) => r.updated_at),
    ],
  );
}
