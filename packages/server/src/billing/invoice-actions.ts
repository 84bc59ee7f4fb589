import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import { tokenizeInstrument } from '../crypto/tokens.js';
import type { Client } from '../db/pool.js';
import { eventOf, type NewEvent, recordEvents } from '../events/index.js';
import { systemAccountId } from '../ledger/accounts.js';
import type { RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { checkMetadata } from '../shared/metadata.js';
import { fail, ok, type Result } from '../shared/result.js';
import { lineTooLarge, parseAmountOrZero } from './amounts.js';
import type { PriceRow } from './catalog-views.js';
import { termsOf } from './catalog-views.js';
import { collect } from './collect.js';
import { outcomeEvents, settle, subscriptionEvents } from './cycle.js';
import { loadTaxRates } from './discounts.js';
import type { CreateInvoiceBody, PayInvoiceBody } from './invoice-schemas.js';
import { type InvoiceRow, type InvoiceView, invoiceView } from './invoice-views.js';
import { type InvoiceDraft, insertInvoices, lockInvoice, newInvoiceId, takeNumbers } from './invoices.js';
import { type LineDraft, totalsOf } from './lines.js';
import { amountFor } from './math/pricing.js';
import { loadBillables } from './state.js';
import type { SubscriptionRow } from './subscription-views.js';
import { notPlatformWallet, redeemCoupon } from './subscriptions.js';
import { holderTime } from './test-clocks.js';
import { saveInvoices, saveSubscriptions } from './writes.js';

const day_ms = 86_400_000;
const net_days_default = 30;

async function viewOf(ctx: RailContext, row: InvoiceRow): Promise<Result<InvoiceView>> {
  const scale = await assetScale(ctx.db, row.livemode, row.asset, 'currency');
  return scale.ok ? ok(invoiceView(row, scale.value)) : scale;
}

/**
 * A one-off invoice (B2B): written as a `draft` to be finalized later, with lines given as amounts
 * or prices, a coupon, tax rates and net terms. Nothing is owed until it is finalized.
 */
export async function createInvoice(
  ctx: RailContext,
  input: Static<typeof CreateInvoiceBody>,
): Promise<Result<InvoiceView>> {
  const { db, livemode } = ctx;
  const holder = await db.query('SELECT 1 FROM holders WHERE id = $1 AND livemode = $2', [
    input.holder_id,
    livemode,
  ]);
  if (holder.rowCount === 0) return fail(notFound('holder', input.holder_id, 'holder_id'));
  const time = await holderTime(db, input.holder_id, ctx.now);
  if (!time.ok) return time;
  const scale = await assetScale(db, livemode, input.currency, 'currency');
  if (!scale.ok) return scale;
  const now = time.value.now;
  const lines = await oneOffLines(ctx, input, scale.value, now);
  if (!lines.ok) return lines;
  const wallets = await walletsFor(
    ctx,
    input.holder_id,
    input.currency,
    input.wallet_id,
    input.revenue_wallet_id,
  );
  if (!wallets.ok) return wallets;
  if ((input.collection_method ?? 'send_invoice') === 'charge_automatically' && input.wallet_id === undefined)
    return fail(
      domainError('invalid_request', 'charge_automatically needs the wallet_id to charge.', 'wallet_id'),
    );
  const coupon = await redeemCoupon(db, livemode, input.coupon, input.currency, 'coupon');
  if (!coupon.ok) return coupon;
  const tax_rates = await loadTaxRates(db, livemode, input.default_tax_rates ?? [], 'default_tax_rates');
  if (!tax_rates.ok) return tax_rates;
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const totals = totalsOf(lines.value, coupon.value, tax_rates.value);
  const draft: InvoiceDraft = {
    id: newInvoiceId(now),
    livemode,
    status: 'draft',
    holder_id: input.holder_id,
    subscription_id: null,
    billing_reason: 'manual',
    collection_method: input.collection_method ?? 'send_invoice',
    asset: input.currency,
    ...wallets.value,
    source: null,
    period_start: now,
    period_end: now,
    lines: totals.lines,
    coupon_id: coupon.value?.id ?? null,
    tax_rate_ids: tax_rates.value.map((rate) => rate.id),
    subtotal: totals.subtotal,
    discount: totals.discount,
    tax: totals.tax,
    total: totals.total,
    // Net terms count from finalization; kept here as days until then (see finalizeInvoice).
    due_date: new Date(now.getTime() + (input.days_until_due ?? net_days_default) * day_ms),
    description: input.description ?? null,
    test_clock_id: time.value.test_clock_id,
    metadata: metadata.value,
  };
  const [row] = await insertInvoices(db, [draft], now);
  assert(row !== undefined, 'inserted invoice');
  const view = await viewOf(ctx, row);
  if (view.ok) await recordEvents(db, [eventOf('invoice.created', view.value)], now);
  return view;
}

async function oneOffLines(
  ctx: RailContext,
  input: Static<typeof CreateInvoiceBody>,
  scale: number,
  now: Date,
): Promise<Result<LineDraft[]>> {
  const price_ids = input.lines.flatMap((line) => (line.price_id === undefined ? [] : [line.price_id]));
  const found = await ctx.db.query<PriceRow & { product_name: string; product_active: boolean }>(
    `SELECT p.*, pr.name AS product_name, pr.active AS product_active FROM prices p JOIN products pr ON pr.id = p.product_id
     WHERE p.id = ANY($1::text[]) AND p.livemode = $2`,
    [price_ids, ctx.livemode],
  );
  const prices = new Map(found.rows.map((row) => [row.id, row]));
  const lines: LineDraft[] = [];
  for (const [i, line] of input.lines.entries()) {
    const quantity = BigInt(line.quantity ?? 1);
    const base = {
      type: 'invoice_item' as const,
      subscription_item_id: null,
      proration: false,
      period_start: now,
      period_end: now,
    };
    if ((line.price_id === undefined) === (line.amount === undefined))
      return fail(
        domainError('invalid_request', 'Each line has an amount or a price_id, one of them.', `lines.${i}`),
      );
    if (line.price_id !== undefined) {
      const price = prices.get(line.price_id);
      if (price === undefined) return fail(notFound('price', line.price_id, `lines.${i}.price_id`));
      if (!price.active || !price.product_active)
        return fail(
          domainError(
            'price_inactive',
            `Price ${price.id} or its product is archived.`,
            `lines.${i}.price_id`,
          ),
        );
      if (price.asset !== input.currency)
        return fail(
          domainError(
            'price_mismatch',
            `Price ${price.id} is in ${price.asset}, the invoice in ${input.currency}.`,
            `lines.${i}.price_id`,
          ),
        );
      if (price.usage_type === 'metered')
        return fail(
          domainError(
            'invalid_request',
            'A metered price is billed from usage, not on a one-off line.',
            `lines.${i}.price_id`,
          ),
        );
      const terms = termsOf(price);
      const price_too_large = lineTooLarge(amountFor(terms, quantity), `lines.${i}.quantity`);
      if (price_too_large !== undefined) return fail(price_too_large);
      lines.push({
        ...base,
        description: line.description ?? `${quantity} × ${price.product_name}`,
        price_id: price.id,
        quantity,
        unit_amount_minor: terms.billing_scheme === 'per_unit' ? terms.unit_amount_minor : null,
        amount_minor: amountFor(terms, quantity),
      });
      continue;
    }
    const unit = parseAmountOrZero(line.amount, scale, `lines.${i}.amount`);
    if (!unit.ok) return unit;
    const too_large = lineTooLarge(unit.value * quantity, `lines.${i}.amount`);
    if (too_large !== undefined) return fail(too_large);
    lines.push({
      ...base,
      description: line.description ?? 'Line',
      price_id: null,
      quantity,
      unit_amount_minor: unit.value,
      amount_minor: unit.value * quantity,
    });
  }
  return ok(lines);
}

/** The holder's paying wallet (if any) and the revenue account, both in the invoice's currency. */
async function walletsFor(
  ctx: RailContext,
  holder_id: string,
  currency: string,
  wallet_id: string | undefined,
  revenue_wallet_id: string | undefined,
): Promise<Result<{ wallet_id: string | null; revenue_account_id: string }>> {
  const found = await ctx.db.query<{ id: string; asset: string; holder_id: string | null }>(
    "SELECT id, asset, holder_id FROM accounts WHERE id = ANY($1::text[]) AND livemode = $2 AND kind = 'wallet'",
    [[wallet_id, revenue_wallet_id].filter((id) => id !== undefined), ctx.livemode],
  );
  const get = (id: string) => found.rows.find((row) => row.id === id);
  if (wallet_id !== undefined && wallet_id === revenue_wallet_id)
    return fail(
      domainError('invalid_request', 'The paying wallet cannot be the revenue wallet.', 'revenue_wallet_id'),
    );
  if (wallet_id !== undefined) {
    const wallet = get(wallet_id);
    if (wallet === undefined || wallet.holder_id !== holder_id)
      return fail(notFound('wallet of this holder', wallet_id, 'wallet_id'));
    if (wallet.asset !== currency)
      return fail(
        domainError(
          'price_mismatch',
          `Wallet ${wallet_id} holds ${wallet.asset}, not ${currency}.`,
          'wallet_id',
        ),
      );
  }
  if (revenue_wallet_id === undefined)
    return ok({
      wallet_id: wallet_id ?? null,
      revenue_account_id: systemAccountId(ctx.livemode, currency, 'fees'),
    });
  const revenue = get(revenue_wallet_id);
  if (revenue === undefined) return fail(notFound('wallet', revenue_wallet_id, 'revenue_wallet_id'));
  if (revenue.holder_id !== null) return fail(notPlatformWallet(revenue.id));
  if (revenue.asset !== currency)
    return fail(
      domainError(
        'price_mismatch',
        `Wallet ${revenue_wallet_id} holds ${revenue.asset}.`,
        'revenue_wallet_id',
      ),
    );
  return ok({ wallet_id: wallet_id ?? null, revenue_account_id: revenue.id });
}

type Action = 'finalize' | 'pay' | 'void' | 'mark_uncollectible';

/** Which statuses each action accepts; anything else is 409 invoice_not_payable. */
const allowed: Readonly<Record<Action, readonly InvoiceRow['status'][]>> = {
  finalize: ['draft'],
  pay: ['draft', 'open', 'uncollectible'],
  void: ['open', 'uncollectible'],
  mark_uncollectible: ['open'],
};

async function lockFor(ctx: RailContext, id: string, action: Action): Promise<Result<InvoiceRow>> {
  const row = await lockInvoice(ctx.db, ctx.livemode, id);
  if (row === undefined) return fail(notFound('invoice', id));
  if (row.status === 'open' && row.payment_id !== null && action !== 'finalize')
    return fail(
      domainError(
        'invoice_not_payable',
        `Invoice ${id} has a payment in progress (${row.payment_id}); wait for it to end.`,
      ),
    );
  if (!allowed[action].includes(row.status))
    return fail(
      domainError(
        'invoice_not_payable',
        `Invoice ${id} is ${row.status}; it cannot be ${action === 'pay' ? 'paid' : `${action}d`}.`,
      ),
    );
  return ok(row);
}

/** Gives a draft its number and starts its net terms: it is owed from now on. */
async function finalizeRow(db: Client, row: InvoiceRow, now: Date): Promise<InvoiceRow> {
  const [number] = await takeNumbers(db, row.livemode, 1);
  const terms_ms = (row.due_date?.getTime() ?? row.created_at.getTime()) - row.created_at.getTime();
  const updated = await db.query<InvoiceRow>(
    `UPDATE invoices SET status = 'open', number = $2, finalized_at = $3, due_date = $4, updated_at = $3
     WHERE id = $1 RETURNING *`,
    [row.id, number, now, new Date(now.getTime() + terms_ms)],
  );
  assert(updated.rows[0] !== undefined, 'invoice exists');
  return updated.rows[0];
}

export async function finalizeInvoice(ctx: RailContext, id: string): Promise<Result<InvoiceView>> {
  const row = await lockFor(ctx, id, 'finalize');
  if (!row.ok) return row;
  const now = await invoiceNow(ctx, row.value);
  const open = await finalizeRow(ctx.db, row.value, now);
  const view = await viewOf(ctx, open);
  if (!view.ok) return view;
  const events: NewEvent[] = [eventOf('invoice.finalized', view.value)];
  if (open.collection_method === 'charge_automatically' && open.wallet_id !== null)
    return payRow(ctx, open, now, events);
  await recordEvents(ctx.db, events, now);
  return view;
}

/**
 * Pays an invoice now, from its wallet (or one given), or a source: a draft is finalized first. A
 * failure is answered as the invoice, open, with `last_failure_code` and the event
 * invoice.payment_failed; paying a subscription's invoice revives a past_due or unpaid subscription.
 */
export async function payInvoice(
  ctx: RailContext,
  id: string,
  input: Static<typeof PayInvoiceBody>,
): Promise<Result<InvoiceView>> {
  const locked = await lockFor(ctx, id, 'pay');
  if (!locked.ok) return locked;
  const now = await invoiceNow(ctx, locked.value);
  let row = locked.value;
  const events: NewEvent[] = [];
  if (input.wallet_id !== undefined || input.source !== undefined) {
    const wallets = await walletsFor(ctx, row.holder_id, row.asset, input.wallet_id, undefined);
    if (!wallets.ok) return wallets;
    if (input.source !== undefined && row.revenue_account_id.startsWith('acc_'))
      return fail(
        domainError(
          'invalid_request',
          'This invoice pays into a system account; pay it from a wallet.',
          'source',
        ),
      );
    const source =
      input.source === undefined ? null : await tokenizeInstrument(ctx.db, row.livemode, input.source, now);
    row = { ...row, wallet_id: wallets.value.wallet_id, source };
    await ctx.db.query('UPDATE invoices SET wallet_id = $2, source = $3 WHERE id = $1', [
      row.id,
      row.wallet_id,
      row.source,
    ]);
  }
  if (row.wallet_id === null && row.source === null)
    return fail(
      domainError('invalid_request', 'The invoice has no wallet to pay from; give wallet_id.', 'wallet_id'),
    );
  if (row.status === 'draft') {
    row = await finalizeRow(ctx.db, row, now);
    const view = await viewOf(ctx, row);
    if (view.ok) events.push(eventOf('invoice.finalized', view.value));
  }
  return payRow(ctx, row, now, events);
}

async function payRow(
  ctx: RailContext,
  row: InvoiceRow,
  now: Date,
  events: NewEvent[],
): Promise<Result<InvoiceView>> {
  const subs = new Map<string, SubscriptionRow>();
  if (row.subscription_id !== null) {
    const found = await ctx.db.query<SubscriptionRow>(
      'SELECT * FROM subscriptions WHERE id = $1 FOR UPDATE',
      [row.subscription_id],
    );
    if (found.rows[0] !== undefined) subs.set(found.rows[0].id, found.rows[0]);
  }
  const before = new Map(subs);
  const settled = settle(await collect({ ...ctx, now }, [row]), subs, now);
  const paid = settled.get(row.id);
  assert(paid !== undefined, 'one attempt');
  await saveInvoices(ctx.db, [paid]);
  const changed = [...subs.values()].filter((s) => s.status !== before.get(s.id)?.status);
  await saveSubscriptions(ctx.db, changed);
  const view = await viewOf(ctx, paid);
  if (!view.ok) return view;
  events.push(...outcomeEvents(paid, view.value));
  for (const billable of await loadBillables(ctx.db, changed))
    events.push(
      ...subscriptionEvents(before.get(billable.subscription.id), billable.subscription, billable.items),
    );
  await recordEvents(ctx.db, events, now);
  return view;
}

/** Voids an invoice (it will never be paid) or marks it uncollectible (given up, still payable). */
export async function closeInvoice(
  ctx: RailContext,
  id: string,
  action: 'void' | 'mark_uncollectible',
): Promise<Result<InvoiceView>> {
  const locked = await lockFor(ctx, id, action);
  if (!locked.ok) return locked;
  const now = await invoiceNow(ctx, locked.value);
  const closed: InvoiceRow =
    action === 'void'
      ? { ...locked.value, status: 'void', voided_at: now, next_payment_attempt: null, updated_at: now }
      : {
          ...locked.value,
          status: 'uncollectible',
          marked_uncollectible_at: now,
          next_payment_attempt: null,
          updated_at: now,
        };
  await saveInvoices(ctx.db, [closed]);
  const view = await viewOf(ctx, closed);
  if (!view.ok) return view;
  await recordEvents(
    ctx.db,
    [eventOf(action === 'void' ? 'invoice.voided' : 'invoice.marked_uncollectible', view.value)],
    now,
  );
  return view;
}

/** An invoice of a holder with a test clock lives in the clock's time. */
async function invoiceNow(ctx: RailContext, row: InvoiceRow): Promise<Date> {
  if (row.test_clock_id === null) return ctx.now;
  const time = await holderTime(ctx.db, row.holder_id, ctx.now);
  return time.ok ? time.value.now : ctx.now;
}
