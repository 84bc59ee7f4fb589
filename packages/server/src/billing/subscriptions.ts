import type { Static } from '@sinclair/typebox';
import { tokenizeInstrument } from '../crypto/tokens.js';
import type { Client, Queryable } from '../db/pool.js';
import { systemAccountId } from '../ledger/accounts.js';
import type { RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { fail, ok, type Result } from '../shared/result.js';
import { parseTimestamp } from '../shared/time.js';
import { lineTooLarge } from './amounts.js';
import { type PriceRow, termsOf } from './catalog-views.js';
import { carryOut } from './cycle.js';
import { type CouponRow, loadTaxRates } from './discounts.js';
import { default_final_action, default_retry_schedule_s } from './dunning.js';
import { addMonthsClamped, periodEnd } from './math/periods.js';
import { amountFor } from './math/pricing.js';
import { planFirst } from './plans.js';
import { loadBillables } from './state.js';
import type { CreateSubscriptionBody } from './subscription-schemas.js';
import { type SubscriptionRow, type SubscriptionView, subscriptionView } from './subscription-views.js';
import { holderTime } from './test-clocks.js';

type CreateInput = Static<typeof CreateSubscriptionBody>;
const invalid = (detail: string, param: string): DomainError => domainError('invalid_request', detail, param);

/**
 * Subscribes a holder to prices and writes the first invoice in the same transaction: collected
 * from the holder's wallet (one ledger entry), so the subscription answers `active` at once, or
 * `incomplete` with its invoice open when the wallet cannot pay; during a trial, `trialing` with an
 * invoice of zero. A holder with a test clock lives in the clock's time.
 */
export async function createSubscription(
  ctx: RailContext,
  input: CreateInput,
): Promise<Result<SubscriptionView>> {
  const { db, livemode } = ctx;
  const holder = await db.query<{ id: string }>('SELECT id FROM holders WHERE id = $1 AND livemode = $2', [
    input.holder_id,
    livemode,
  ]);
  if (holder.rows[0] === undefined) return fail(notFound('holder', input.holder_id, 'holder_id'));
  const time = await holderTime(db, input.holder_id, ctx.now);
  if (!time.ok) return time;
  const now = time.value.now;
  const prices = await subscribedPrices(db, livemode, input.items);
  if (!prices.ok) return prices;
  for (const [i, price] of prices.value.entries()) {
    const quantity = BigInt(input.items[i]?.quantity ?? 1);
    const refused =
      price.usage_type === 'licensed'
        ? lineTooLarge(amountFor(termsOf(price), quantity), `items.${i}.quantity`)
        : undefined;
    if (refused !== undefined) return fail(refused);
  }
  const first = prices.value[0];
  assert(first !== undefined, 'at least one item');
  const collection = await collectionOf(db, livemode, input, first.asset, now);
  if (!collection.ok) return collection;
  const coupon = await redeemCoupon(db, livemode, input.coupon, first.asset, 'coupon');
  if (!coupon.ok) return coupon;
  const tax_rates = await loadTaxRates(db, livemode, input.default_tax_rates ?? [], 'default_tax_rates');
  if (!tax_rates.ok) return tax_rates;
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const timing = firstPeriod(input, first, now);
  if (!timing.ok) return timing;
  const id = newId('subscription', now.getTime());
  const row: SubscriptionRow = {
    id,
    livemode,
    holder_id: input.holder_id,
    status: timing.value.trial_end === null ? 'incomplete' : 'trialing',
    asset: first.asset,
    interval: first.recurring_interval ?? 'month',
    interval_count: first.recurring_interval_count ?? 1,
    ...collection.value,
    ...timing.value,
    cancel_at_period_end: false,
    canceled_at: null,
    ended_at: null,
    paused_at: null,
    coupon_id: coupon.value?.id ?? null,
    discount_end: discountEnd(coupon.value, now),
    tax_rate_ids: tax_rates.value.map((rate) => rate.id),
    retry_schedule_s: input.dunning?.retry_schedule_days?.map((days) => days * 86_400) ?? [
      ...default_retry_schedule_s,
    ],
    final_action: input.dunning?.final_action ?? default_final_action,
    latest_invoice_id: null,
    test_clock_id: time.value.test_clock_id,
    metadata: metadata.value,
    created_at: now,
    updated_at: now,
  };
  await insertSubscription(db, row, input.items, prices.value, now);
  const [billable] = await loadBillables(db, [row]);
  assert(billable !== undefined, 'the new subscription loads');
  const done = await carryOut({ ...ctx, now }, [planFirst(billable, now)]);
  const after = done.subscriptions[0];
  assert(after !== undefined, 'one subscription');
  return ok(subscriptionView(after, billable.items));
}

/**
 * The prices of the items: each exists in this mode, is recurring and active (with its product),
 * appears once, and all share one currency and interval.
 */
async function subscribedPrices(
  db: Queryable,
  livemode: boolean,
  items: CreateInput['items'],
): Promise<Result<PriceRow[]>> {
  const found = await db.query<PriceRow & { product_active: boolean }>(
    `SELECT p.*, pr.active AS product_active FROM prices p JOIN products pr ON pr.id = p.product_id
     WHERE p.id = ANY($1::text[]) AND p.livemode = $2`,
    [items.map((item) => item.price_id), livemode],
  );
  const by_id = new Map(found.rows.map((row) => [row.id, row]));
  const prices: PriceRow[] = [];
  for (const [i, item] of items.entries()) {
    const param = `items.${i}.price_id`;
    const price = by_id.get(item.price_id);
    if (price === undefined) return fail(notFound('price', item.price_id, param));
    if (!price.active || !price.product_active)
      return fail(domainError('price_inactive', `Price ${price.id} or its product is archived.`, param));
    if (price.type !== 'recurring') return fail(invalid(`Price ${price.id} is not recurring.`, param));
    if (items.findIndex((other) => other.price_id === item.price_id) !== i)
      return fail(invalid(`Price ${price.id} appears twice; give it a quantity instead.`, param));
    const first = prices[0];
    if (
      first !== undefined &&
      (first.asset !== price.asset ||
        first.recurring_interval !== price.recurring_interval ||
        first.recurring_interval_count !== price.recurring_interval_count)
    )
      return fail(
        domainError(
          'price_mismatch',
          'Every price of a subscription must share its currency and interval.',
          param,
        ),
      );
    prices.push(price);
  }
  return ok(prices);
}

/**
 * Revenue goes to the platform: a wallet with no holder. Letting it name a holder's wallet would make
 * a key that may bill subscriptions a key that may move money between any two holders.
 */
export function notPlatformWallet(wallet_id: string): DomainError {
  return domainError(
    'invalid_request',
    `Wallet ${wallet_id} belongs to a holder; revenue goes to a platform wallet, one with no holder.`,
    'revenue_wallet_id',
  );
}

type Collection = Pick<SubscriptionRow, 'wallet_id' | 'source' | 'revenue_account_id'>;

/** Where the money comes from (the holder's wallet, or a source) and where it goes. */
async function collectionOf(
  db: Queryable,
  livemode: boolean,
  input: CreateInput,
  asset: string,
  now: Date,
): Promise<Result<Collection>> {
  if ((input.wallet_id === undefined) === (input.source === undefined))
    return fail(invalid('Give wallet_id or source, one of them.', 'wallet_id'));
  const wallets = await db.query<{ id: string; asset: string; holder_id: string | null }>(
    "SELECT id, asset, holder_id FROM accounts WHERE id = ANY($1::text[]) AND livemode = $2 AND kind = 'wallet'",
    [[input.wallet_id, input.revenue_wallet_id].filter((id) => id !== undefined), livemode],
  );
  const wallet = (id: string) => wallets.rows.find((row) => row.id === id);
  let revenue = systemAccountId(livemode, asset, 'fees');
  if (input.revenue_wallet_id !== undefined) {
    const found = wallet(input.revenue_wallet_id);
    if (found === undefined) return fail(notFound('wallet', input.revenue_wallet_id, 'revenue_wallet_id'));
    if (found.holder_id !== null) return fail(notPlatformWallet(found.id));
    if (found.asset !== asset)
      return fail(
        domainError(
          'price_mismatch',
          `Wallet ${found.id} holds ${found.asset}, the prices ${asset}.`,
          'revenue_wallet_id',
        ),
      );
    revenue = found.id;
  }
  if (input.source !== undefined) {
    if (input.revenue_wallet_id === undefined)
      return fail(
        invalid(
          'A subscription paid from a source needs revenue_wallet_id: payments go into a wallet.',
          'revenue_wallet_id',
        ),
      );
    if (livemode)
      return fail(
        domainError('rail_unavailable', `No live ${input.source.type} rail is configured.`, 'source.type'),
      );
    // Kept behind a token: each renewal detokenizes it to charge (billing/collect.ts).
    const source = await tokenizeInstrument(db, livemode, input.source, now);
    return ok({ wallet_id: null, source, revenue_account_id: revenue });
  }
  assert(input.wallet_id !== undefined, 'a wallet when there is no source');
  const payer = wallet(input.wallet_id);
  if (payer === undefined || payer.holder_id !== input.holder_id)
    return fail(notFound('wallet of this holder', input.wallet_id, 'wallet_id'));
  if (payer.asset !== asset)
    return fail(
      domainError(
        'price_mismatch',
        `Wallet ${payer.id} holds ${payer.asset}; the prices are in ${asset}.`,
        'wallet_id',
      ),
    );
  if (payer.id === revenue) return fail(invalid('The wallet cannot pay itself.', 'revenue_wallet_id'));
  return ok({ wallet_id: payer.id, source: null, revenue_account_id: revenue });
}

/** When a coupon applied at `at` stops applying: a repeating one after its months, others never. */
export function discountEnd(coupon: CouponRow | null, at: Date): Date | null {
  return coupon?.duration === 'repeating' && coupon.duration_in_months !== null
    ? addMonthsClamped(at, coupon.duration_in_months)
    : null;
}

/** Locks a coupon and counts one more redemption, or says why it cannot apply. */
export async function redeemCoupon(
  db: Queryable,
  livemode: boolean,
  id: string | undefined,
  asset: string,
  param: string,
): Promise<Result<CouponRow | null>> {
  if (id === undefined) return ok(null);
  const found = await db.query<CouponRow>(
    'SELECT * FROM coupons WHERE id = $1 AND livemode = $2 FOR UPDATE',
    [id, livemode],
  );
  const coupon = found.rows[0];
  if (coupon === undefined) return fail(notFound('coupon', id, param));
  const refuse = (why: string) => fail(domainError('coupon_not_applicable', `Coupon ${id} ${why}.`, param));
  if (!coupon.active) return refuse('is archived');
  if (coupon.max_redemptions !== null && coupon.times_redeemed >= coupon.max_redemptions)
    return refuse('is used up');
  if (coupon.currency !== null && coupon.currency !== asset)
    return refuse(`takes ${coupon.currency} off, not ${asset}`);
  await db.query('UPDATE coupons SET times_redeemed = times_redeemed + 1 WHERE id = $1', [id]);
  return ok({ ...coupon, times_redeemed: coupon.times_redeemed + 1 });
}

type Timing = Pick<
  SubscriptionRow,
  'billing_cycle_anchor' | 'current_period_start' | 'current_period_end' | 'trial_start' | 'trial_end'
>;

/**
 * The first period. With a trial, it is the trial (ending at trial_end, from which renewals count);
 * with a billing cycle anchor, it runs to the anchor (prorated); otherwise one whole interval.
 */
function firstPeriod(input: CreateInput, price: PriceRow, now: Date): Result<Timing> {
  const interval = price.recurring_interval ?? 'month';
  const count = price.recurring_interval_count ?? 1;
  const later = (text: string | undefined, param: string): Result<Date | null> => {
    if (text === undefined) return ok(null);
    const at = parseTimestamp(text);
    return at === undefined || at <= now
      ? fail(invalid(`${param} must be a time after now.`, param))
      : ok(at);
  };
  const trial_end = later(input.trial_end, 'trial_end');
  if (!trial_end.ok) return trial_end;
  const anchor = later(input.billing_cycle_anchor, 'billing_cycle_anchor');
  if (!anchor.ok) return anchor;
  const trial_until =
    trial_end.value ??
    (input.trial_period_days === undefined
      ? null
      : new Date(now.getTime() + input.trial_period_days * 86_400_000));
  if (trial_until !== null) {
    if (anchor.value !== null)
      return fail(
        invalid('A trial sets the billing cycle anchor: give one or the other.', 'billing_cycle_anchor'),
      );
    return ok({
      billing_cycle_anchor: trial_until,
      current_period_start: now,
      current_period_end: trial_until,
      trial_start: now,
      trial_end: trial_until,
    });
  }
  if (anchor.value !== null) {
    if (anchor.value > periodEnd(now, interval, count, 1))
      return fail(
        invalid('billing_cycle_anchor must fall within the first interval.', 'billing_cycle_anchor'),
      );
    return ok({
      billing_cycle_anchor: anchor.value,
      current_period_start: now,
      current_period_end: anchor.value,
      trial_start: null,
      trial_end: null,
    });
  }
  return ok({
    billing_cycle_anchor: now,
    current_period_start: now,
    current_period_end: periodEnd(now, interval, count, 1),
    trial_start: null,
    trial_end: null,
  });
}

async function insertSubscription(
  db: Client,
  row: SubscriptionRow,
  items: CreateInput['items'],
  prices: readonly PriceRow[],
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO subscriptions (id, livemode, holder_id, status, asset, interval, interval_count, wallet_id, source,
       revenue_account_id, billing_cycle_anchor, current_period_start, current_period_end, trial_start, trial_end,
       coupon_id, discount_end, tax_rate_ids, retry_schedule_s, final_action, test_clock_id, metadata, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23)`,
    [
      row.id,
      row.livemode,
      row.holder_id,
      row.status,
      row.asset,
      row.interval,
      row.interval_count,
      row.wallet_id,
      row.source === null ? null : JSON.stringify(row.source),
      row.revenue_account_id,
      row.billing_cycle_anchor,
      row.current_period_start,
      row.current_period_end,
      row.trial_start,
      row.trial_end,
      row.coupon_id,
      row.discount_end,
      row.tax_rate_ids,
      row.retry_schedule_s,
      row.final_action,
      row.test_clock_id,
      row.metadata,
      now,
    ],
  );
  await insertItems(
    db,
    row.id,
    items.map((item, i) => ({ price: prices[i], quantity: item.quantity ?? 1 })),
    now,
  );
}

export async function insertItems(
  db: Queryable,
  subscription_id: string,
  items: readonly { price: PriceRow | undefined; quantity: number }[],
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO subscription_items (id, subscription_id, price_id, quantity, created_at)
     SELECT id, $1, price_id, quantity, $2 FROM unnest($3::text[], $4::text[], $5::bigint[]) AS u (id, price_id, quantity)`,
    [
      subscription_id,
      now,
      items.map(() => newId('subscription_item', now.getTime())),
      items.map(({ price }) => price?.id),
      items.map(({ quantity }) => quantity),
    ],
  );
}
