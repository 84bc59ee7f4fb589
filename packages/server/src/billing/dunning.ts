import { minorFromDb } from '../shared/money.js';
import type { Collected } from './collect.js';
import type { InvoiceRow } from './invoice-views.js';
import type { SubscriptionRow } from './subscription-views.js';

const day_s = 86_400;

/** Without a subscription's own: retry 3, then 5, then 7 days after each failure, then `unpaid`. */
export const default_retry_schedule_s: readonly number[] = [3 * day_s, 5 * day_s, 7 * day_s];
export const default_final_action = 'unpaid';

/**
 * What one collection attempt does to its invoice and subscription (no I/O).
 *
 * - Paid: the invoice is `paid`; a subscription that was `incomplete`, `past_due` or `unpaid`
 *   becomes `active` again.
 * - Pending (a bank debit): the invoice stays `open` and waits for its payment.
 * - Failed: the invoice stays `open` with the failure's code. A subscription's first invoice leaves
 *   it `incomplete` (no retries: the creator knows at once). Otherwise the subscription is
 *   `past_due` and the next retry is `retry_schedule_s[n - 1]` seconds after the n-th failed
 *   attempt; after the last retry fails, the subscription's `final_action` applies: `unpaid` (the
 *   invoice stays open and paying it revives the subscription) or `canceled` (the subscription
 *   ends and the invoice is marked uncollectible). An invoice without a subscription just stays
 *   open. A `paused` subscription keeps its status (it was paused on purpose and renews nothing):
 *   its invoice follows the same schedule and, after the last retry, stays open.
 */
export function afterAttempt(
  invoice: InvoiceRow,
  collected: Collected,
  subscription: SubscriptionRow | undefined,
  now: Date,
): { invoice: InvoiceRow; subscription: SubscriptionRow | undefined } {
  const attempted = { ...invoice, attempt_count: invoice.attempt_count + 1, updated_at: now };
  if (collected.kind === 'paid') {
    const paid: InvoiceRow = {
      ...attempted,
      status: 'paid',
      amount_paid: minorFromDb(invoice.total).toString(),
      paid_at: now,
      ledger_transaction_id: collected.ledger_transaction_id,
      payment_id: collected.payment_id,
      next_payment_attempt: null,
      last_failure_code: null,
    };
    const revived =
      subscription !== undefined && ['incomplete', 'past_due', 'unpaid'].includes(subscription.status)
        ? { ...subscription, status: 'active' as const, updated_at: now }
        : subscription;
    return { invoice: paid, subscription: revived };
  }
  if (collected.kind === 'pending')
    return {
      invoice: { ...attempted, payment_id: collected.payment_id, next_payment_attempt: null },
      subscription,
    };
  // A failed payment is done with: the next attempt makes a new one.
  const failed: InvoiceRow = {
    ...attempted,
    last_failure_code: collected.failure_code,
    next_payment_attempt: null,
    payment_id: null,
  };
  if (subscription === undefined || subscription.status === 'canceled')
    return { invoice: failed, subscription };
  if (invoice.billing_reason === 'subscription_create')
    return { invoice: failed, subscription: { ...subscription, status: 'incomplete', updated_at: now } };
  const delay_s = subscription.retry_schedule_s[attempted.attempt_count - 1];
  // A paused subscription stays paused: its invoice keeps its retries, and nothing else changes.
  const paused = subscription.status === 'paused';
  if (delay_s !== undefined) {
    const retry = new Date(now.getTime() + delay_s * 1000);
    return {
      invoice: { ...failed, next_payment_attempt: retry },
      subscription: paused ? subscription : { ...subscription, status: 'past_due', updated_at: now },
    };
  }
  if (paused) return { invoice: failed, subscription };
  if (subscription.final_action === 'unpaid')
    return { invoice: failed, subscription: { ...subscription, status: 'unpaid', updated_at: now } };
  return {
    invoice: { ...failed, status: 'uncollectible', marked_uncollectible_at: now },
    subscription: { ...subscription, status: 'canceled', canceled_at: now, ended_at: now, updated_at: now },
  };
}
