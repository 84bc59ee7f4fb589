/**
 * Every event type Purse emits, with what it means. One line per type: adding a line is all a new
 * type needs (validation of `enabled_events`, the OpenAPI document and docs/events.md follow; a
 * test fails until docs/events.md lists it). Names are `<object>.<what happened>`, past tense.
 */
export const event_catalogue = {
  'bank_statement.imported':
    "A bank's camt.053 or camt.054 file was imported; the payouts it reports have their own events.",
  'consent.granted':
    'A holder granted a partner app access to some of their wallets on the consent page (docs/oauth.md).',
  'consent.revoked':
    'A consent was revoked (by the platform, the holder or the app, or with its app): its tokens stopped working at once.',
  'coupon.created': 'A coupon was created.',
  'coupon.updated': "A coupon's name, metadata or active flag changed.",
  'crypto.hot_wallet.low_balance':
    "The EVM rail's hot wallet fell below its threshold in an asset (PURSE_EVM_LOW_BALANCE_MINOR): payouts in it may soon wait. Sent once per fall, in both modes.",
  'customer.subscription.created':
    'A subscription was created; its first invoice (paid, open or zero during a trial) has its own events.',
  'customer.subscription.deleted':
    'A subscription ended: canceled at once, at its period end, or by dunning.',
  'customer.subscription.paused': 'A subscription was paused: it renews nothing until resumed.',
  'customer.subscription.resumed': 'A paused subscription was resumed.',
  'customer.subscription.updated':
    'A subscription changed: renewed into a new period, its status (past_due, unpaid, active), items, quantities, coupon or cancel_at_period_end.',
  'escrow.canceled':
    'An escrow ended with what remained returned to the payer: canceled, refunded by a resolved dispute, or by its auto_refund_at date.',
  'escrow.created': "An escrow was funded: the amount left the payer's wallet for the escrow account.",
  'escrow.disputed':
    'An escrow was disputed: releases, cancels and its automatic date wait until it is resolved.',
  'escrow.released':
    'Money was released from an escrow to the payee: a milestone, an amount, the rest by its auto_release_at date.',
  'escrow.resolved': 'A dispute was resolved: released to the payee, refunded to the payer, or resumed.',
  'invoice.created': 'An invoice was created (a draft, or finalized in the same step by a subscription).',
  'invoice.finalized': 'An invoice was finalized: it has its number and can be paid.',
  'invoice.marked_uncollectible': 'An open invoice was given up on: by hand, or at the end of dunning.',
  'invoice.paid':
    'An invoice was paid: from a wallet in one ledger entry with the charge, or by a payment through a rail.',
  'invoice.payment_failed':
    'Collecting an invoice failed (insufficient funds, a declined card, a risk rule); see last_failure_code and next_payment_attempt.',
  'invoice.voided': 'An invoice was voided: it will never be paid.',
  'payment.failed': 'A payment failed: declined card, failed bank debit; see failure_code. No money moved.',
  'conversion.reversed':
    'A payout that converted on its way failed or came back: its conversion was undone at the same terms, and the wallet has what it paid.',
  'conversion.succeeded':
    "Money was converted between two of a holder's wallets: one ledger entry through the FX position accounts.",
  'payment.processing':
    'A payment is waiting for its rail: a bank debit settling, a crypto deposit confirming.',
  'payment.settled':
    "A payment's pending funds settled after the wallet's settlement delay and became available.",
  'payment.succeeded':
    'A payment succeeded: the wallet, splits and fee were credited in one entry (pending if the wallet has a settlement delay).',
  'payout.canceled':
    'A payout was canceled before it left Purse (not yet handed to its rail); the amount is back in the wallet.',
  'payout.created': "A payout was created: the amount left the wallet for the rail's clearing account.",
  'payout.failed': 'A payout failed before it was paid; the amount is back in the wallet. See failure_code.',
  'payout.in_transit': 'The rail accepted a payout (or it went into a pain.001 bank file).',
  'payout.paid': 'A payout reached its destination.',
  'payout.returned':
    'A paid payout came back (closed account, wrong number); the amount is back in the wallet.',
  'payout_batch.created': 'A batch of payouts was created; each created payout has its own payout.created.',
  'payout_file.created': 'Pending bank payouts were gathered into an ISO 20022 pain.001 file for the bank.',
  'payout_schedule.deleted': "A wallet's payout schedule was removed.",
  'payout_schedule.updated': "A wallet's payout schedule was set or changed.",
  'price.created': 'A price was created.',
  'price.updated': "A price's nickname, metadata or active flag changed; its amounts never change.",
  'product.created': 'A product was created.',
  'product.updated': "A product's name, description, metadata or active flag changed.",
  'refund.created': 'A refund was created: the money was taken back from the accounts that received it.',
  'refund.failed': 'A pending refund could not be returned by the rail; every account got its share back.',
  'refund.succeeded':
    'A refund reached the customer (at once for cards, crypto and transfers; bank refunds when the bank confirms).',
  'api_key.created': 'An API key was created. The event never carries its secret.',
  'api_key.revoked': 'An API key was revoked.',
  'asset.created': 'A custom asset was created.',
  'holder.created': 'A holder was created.',
  'holder.updated': "A holder's fields, KYC status or metadata changed.",
  'risk.flagged':
    'A risk rule with action flag matched a money movement, which went through; data is the risk decision.',
  'tax_rate.created': 'A tax rate was created.',
  'tax_rate.updated': "A tax rate's display name, metadata or active flag changed.",
  'test_clock.advancing': 'A test clock started advancing: what falls due in the simulated time is running.',
  'test_clock.ready': 'A test clock finished advancing: everything due by its frozen_time ran.',
  'transfer.captured': 'A hold was captured in full or in part; the rest was released.',
  'transfer.expired': 'A hold passed its expires_at uncaptured and was released.',
  'transfer.pending': 'A hold was placed: the funds are reserved until captured, voided or expired.',
  'transfer.posted': 'A transfer moved money at once.',
  'transfer.voided': 'A hold was voided and its funds released.',
  'verification_session.created':
    "A holder's verification session was started; its result has its own event.",
  'verification_session.processing':
    'A verification session waits for an operator: a possible sanctions match, or no verifier decides in this mode (see review).',
  'verification_session.requires_input':
    'A verification session needs more input or documents; see missing_fields and last_error.',
  'verification_session.rejected':
    "A verification session was rejected; see last_error.code (sanctions_match also freezes the holder's wallets).",
  'verification_session.verified':
    "A verification session succeeded: the holder's kyc_status and kyc_tier were set.",
  'wallet.closed': 'A wallet was closed for good.',
  'wallet.created': 'A wallet was created.',
  'wallet.frozen': 'A wallet was frozen: it neither sends nor receives.',
  'wallet.unfrozen': 'A frozen wallet was unfrozen.',
  'webhook_endpoint.created': 'A webhook endpoint was created.',
  'webhook_endpoint.deleted': 'A webhook endpoint was deleted.',
  'webhook_endpoint.disabled':
    'A webhook endpoint was disabled: on request, after failing a whole retry schedule, or on HTTP 410.',
  'webhook_endpoint.enabled': 'A disabled webhook endpoint was enabled again.',
  'webhook_endpoint.updated':
    "A webhook endpoint's URL, events, description or metadata changed, or its secret was rotated.",
} as const satisfies Record<string, string>;

export type EventType = keyof typeof event_catalogue;

export const event_types = Object.keys(event_catalogue).sort() as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(event_catalogue, value);
}

/**
 * A pattern selects event types: `*` (all), `transfer.*` (a prefix up to a dot) or one type. A
 * pattern is valid when it selects at least one type of the catalogue, so a typo is refused rather
 * than silently matching nothing.
 */
export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

export function isValidPattern(pattern: string): boolean {
  return event_types.some((type) => matchesPattern(pattern, type));
}

export function matchesAny(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, type));
}

/** The SQL condition (on column `type`) for one pattern, with its parameter. */
export function patternCondition(pattern: string, param: number): { sql: string; value: string } {
  // Every caller sends the parameter, so the condition must use it: PostgreSQL cannot type a
  // parameter that no expression mentions, and refuses the whole query.
  if (pattern === '*') return { sql: `$${param}::text = '*'`, value: pattern };
  if (pattern.endsWith('.*')) {
    // Event types are [a-z_.] only, so `_` is the one LIKE wildcard to escape.
    return { sql: `type LIKE $${param}`, value: `${pattern.slice(0, -1).replaceAll('_', '\\_')}%` };
  }
  return { sql: `type = $${param}`, value: pattern };
}
