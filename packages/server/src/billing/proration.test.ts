import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, getJson, post, postOk } from '../test-support/money.js';
import { advance, customer, invoicesOf, monthlyPrice } from './test-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const start = '2027-01-01T00:00:00.000Z';
const end = '2027-02-01T00:00:00.000Z';
const period_ms = BigInt(Date.parse(end) - Date.parse(start));

/**
 * The expected part of `amount_minor` for the time left from `at` to the period's end, worked out
 * here on its own: |n| / d rounded to nearest with halves up is floor((2|n| + d) / 2d), and the
 * sign goes back on (so halves go away from zero).
 */
function expectedShare(amount_minor: bigint, at: string): bigint {
  const n = amount_minor * (BigInt(Date.parse(end)) - BigInt(Date.parse(at)));
  const magnitude = n < 0n ? -n : n;
  const rounded = (2n * magnitude + period_ms) / (2n * period_ms);
  return n < 0n ? -rounded : rounded;
}

/** Minor units of USD as the API writes them: -501n is "-5.01". */
function usd(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const magnitude = minor < 0n ? -minor : minor;
  return `${sign}${magnitude / 100n}.${(magnitude % 100n).toString().padStart(2, '0')}`;
}

/** A subscription to `price` (quantity 1 unless told) created at `start` in a test clock of its own. */
async function subscribed(price: string, extra: Record<string, unknown> = {}) {
  const clock = await postOk(t, '/v1/test_clocks', { frozen_time: start });
  const { holder_id, wallet_id } = await customer(t, '100.00', clock.id);
  const revenue = await postOk(t, '/v1/wallets', { currency: 'USD' });
  const sub = await postOk(t, '/v1/subscriptions', {
    holder_id,
    wallet_id,
    revenue_wallet_id: revenue.id,
    items: [{ price_id: price }],
    ...extra,
  });
  const items = sub.items as { id: string }[];
  return { clock_id: clock.id, sub, item_id: items[0]?.id ?? '', wallet_id, revenue_id: revenue.id };
}

const pendingCount = async (sub_id: string) =>
  Number(
    (
      await t.db.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM invoice_items WHERE subscription_id = $1 AND invoice_id IS NULL',
        [sub_id],
      )
    ).rows[0]?.n,
  );

describe('a quantity change mid-period', () => {
  it('with always_invoice bills the credit and the charge now, rounding a half cent away from zero', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { clock_id, sub, item_id, wallet_id } = await subscribed(price);
    // 1000 × left / period is exactly 500.5 here: the credit is -5.01 and the charge for three 15.02.
    const at = '2027-01-16T11:37:40.800Z';
    await advance(t, clock_id, at);
    const credit = expectedShare(-1000n, at);
    const charge = expectedShare(3000n, at);
    expect([credit, charge]).toEqual([-501n, 1502n]);

    const changed = await postOk(
      t,
      `/v1/subscriptions/${sub.id}`,
      { items: [{ id: item_id, quantity: 3 }], proration_behavior: 'always_invoice' },
      200,
    );
    expect(changed.items).toMatchObject([{ id: item_id, quantity: 3 }]);
    const invoices = await invoicesOf(t, sub.id);
    expect(invoices.length).toBe(2);
    const update = invoices[1];
    expect(update).toMatchObject({
      billing_reason: 'subscription_update',
      status: 'paid',
      total: usd(credit + charge),
      amount_due: '0.00',
      amount_paid: usd(credit + charge),
    });
    expect(update?.lines).toMatchObject([
      { type: 'proration', proration: true, quantity: 1, amount: usd(credit), period: { start: at, end } },
      { type: 'proration', proration: true, quantity: 3, amount: usd(charge), period: { start: at, end } },
    ]);
    expect((await balanceOf(t, wallet_id)).available).toBe(usd(10000n - 1000n - credit - charge));
    expect(await pendingCount(sub.id)).toBe(0);
  });

  it('upgrading the price with always_invoice credits the old price and charges the new one', async () => {
    const basic = await monthlyPrice(t, '10.00');
    const premium = await monthlyPrice(t, '25.00');
    const { clock_id, sub, item_id, wallet_id, revenue_id } = await subscribed(basic);
    const at = '2027-01-21T08:00:00.000Z';
    await advance(t, clock_id, at);
    await postOk(
      t,
      `/v1/subscriptions/${sub.id}`,
      { items: [{ id: item_id, price_id: premium }], proration_behavior: 'always_invoice' },
      200,
    );
    const credit = expectedShare(-1000n, at);
    const charge = expectedShare(2500n, at);
    const [, update] = await invoicesOf(t, sub.id);
    expect(update?.lines).toMatchObject([
      { price_id: basic, amount: usd(credit) },
      { price_id: premium, amount: usd(charge) },
    ]);
    expect(update).toMatchObject({ status: 'paid', total: usd(credit + charge) });
    expect((await balanceOf(t, wallet_id)).available).toBe(usd(10000n - 1000n - credit - charge));
    expect((await balanceOf(t, revenue_id)).available).toBe(usd(1000n + credit + charge));
    expect((await getJson(t, `/v1/subscriptions/${sub.id}`)).items).toMatchObject([
      { id: item_id, price_id: premium, quantity: 1 },
    ]);
  });

  it('with create_prorations (the default) puts the lines on the next renewal invoice', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { clock_id, sub, item_id, wallet_id } = await subscribed(price);
    const at = '2027-01-11T00:00:00.000Z';
    await advance(t, clock_id, at);
    await postOk(t, `/v1/subscriptions/${sub.id}`, { items: [{ id: item_id, quantity: 2 }] }, 200);
    expect((await invoicesOf(t, sub.id)).length).toBe(1);
    expect(await pendingCount(sub.id)).toBe(2);
    expect((await balanceOf(t, wallet_id)).available).toBe('90.00');

    await advance(t, clock_id, '2027-02-01T00:00:00Z');
    const invoices = await invoicesOf(t, sub.id);
    expect(invoices.length).toBe(2);
    const credit = expectedShare(-1000n, at);
    const charge = expectedShare(2000n, at);
    const next_period = { start: end, end: '2027-03-01T00:00:00.000Z' };
    expect(invoices[1]?.lines).toMatchObject([
      { type: 'proration', quantity: 1, amount: usd(credit), period: { start: at, end } },
      { type: 'proration', quantity: 2, amount: usd(charge), period: { start: at, end } },
      { type: 'subscription', proration: false, quantity: 2, amount: '20.00', period: next_period },
    ]);
    expect(invoices[1]).toMatchObject({
      billing_reason: 'subscription_cycle',
      status: 'paid',
      total: usd(credit + charge + 2000n),
    });
    expect(await pendingCount(sub.id)).toBe(0);
    expect((await balanceOf(t, wallet_id)).available).toBe(usd(9000n - credit - charge - 2000n));
  });

  it('with none bills nothing for the change: the next renewal bills the new quantity only', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { clock_id, sub, item_id, wallet_id } = await subscribed(price);
    await advance(t, clock_id, '2027-01-11T00:00:00Z');
    await postOk(
      t,
      `/v1/subscriptions/${sub.id}`,
      { items: [{ id: item_id, quantity: 2 }], proration_behavior: 'none' },
      200,
    );
    expect((await invoicesOf(t, sub.id)).length).toBe(1);
    expect(await pendingCount(sub.id)).toBe(0);
    await advance(t, clock_id, '2027-02-01T00:00:00Z');
    const [, renewal] = await invoicesOf(t, sub.id);
    expect(renewal?.lines).toMatchObject([{ type: 'subscription', quantity: 2, amount: '20.00' }]);
    expect((await balanceOf(t, wallet_id)).available).toBe('70.00');
  });

  it('during a trial is not prorated: the trial ends billing the new quantity in full', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { clock_id, sub, item_id, wallet_id } = await subscribed(price, {
      trial_end: '2027-01-15T00:00:00Z',
    });
    expect(sub.status).toBe('trialing');
    await advance(t, clock_id, '2027-01-05T00:00:00Z');
    const changed = await postOk(
      t,
      `/v1/subscriptions/${sub.id}`,
      { items: [{ id: item_id, quantity: 3 }], proration_behavior: 'always_invoice' },
      200,
    );
    expect(changed).toMatchObject({ status: 'trialing', items: [{ quantity: 3 }] });
    expect((await invoicesOf(t, sub.id)).length).toBe(1);
    expect(await pendingCount(sub.id)).toBe(0);
    expect((await balanceOf(t, wallet_id)).available).toBe('100.00');

    await advance(t, clock_id, '2027-01-15T00:00:00Z');
    const [, first_paid] = await invoicesOf(t, sub.id);
    expect(first_paid?.lines).toMatchObject([
      { type: 'subscription', proration: false, quantity: 3, amount: '30.00' },
    ]);
    expect((await balanceOf(t, wallet_id)).available).toBe('70.00');
  });
});

describe('canceling', () => {
  it('with prorate credits the unused time back to the wallet on a negative, paid invoice', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { clock_id, sub, wallet_id, revenue_id } = await subscribed(price);
    const at = '2027-01-11T00:00:00.000Z';
    await advance(t, clock_id, at);
    const canceled = await postOk(t, `/v1/subscriptions/${sub.id}/cancel`, { prorate: true }, 200);
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: at, ended_at: at });
    const credit = expectedShare(-1000n, at);
    expect(credit).toBe(-677n);
    const [, final] = await invoicesOf(t, sub.id);
    expect(final).toMatchObject({
      billing_reason: 'subscription_cancel',
      status: 'paid',
      total: usd(credit),
      amount_due: '0.00',
      period_start: start,
      period_end: at,
    });
    expect(final?.lines).toMatchObject([{ type: 'proration', quantity: 1, amount: usd(credit) }]);
    expect((await balanceOf(t, wallet_id)).available).toBe(usd(9000n - credit));
    expect((await balanceOf(t, revenue_id)).available).toBe(usd(1000n + credit));
    const ledger = await t.db.pool.query('SELECT reason FROM ledger_transactions WHERE reference_id = $1', [
      final?.id,
    ]);
    expect(ledger.rows).toEqual([{ reason: 'invoice.credited' }]);
  });

  it('then refuses every change with 409 subscription_canceled, writing nothing', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { sub, item_id, wallet_id } = await subscribed(price);
    await postOk(t, `/v1/subscriptions/${sub.id}/cancel`, {}, 200);
    const invoices_before = (await invoicesOf(t, sub.id)).length;
    expectProblem(
      await post(t, `/v1/subscriptions/${sub.id}`, {
        items: [{ id: item_id, quantity: 2 }],
        proration_behavior: 'always_invoice',
      }),
      409,
      'subscription_canceled',
    );
    expectProblem(
      await post(t, `/v1/subscriptions/${sub.id}/cancel`, { prorate: true }),
      409,
      'subscription_canceled',
    );
    expect((await invoicesOf(t, sub.id)).length).toBe(invoices_before);
    expect((await getJson(t, `/v1/subscriptions/${sub.id}`)).items).toMatchObject([{ quantity: 1 }]);
    expect((await balanceOf(t, wallet_id)).available).toBe('90.00');
  });
});
