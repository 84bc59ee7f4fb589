import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, getJson, post, postOk } from '../test-support/money.js';
import { renewDue } from './renewals.js';
import { advance, customer, invoicesOf, monthlyPrice } from './test-support.js';

/**
 * What a caller could send to break the billing run for everyone (it renews a thousand
 * subscriptions per transaction: one that cannot be written would stop them all), or to be paid
 * for time it never paid for.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('amounts the billing run could not write are refused when given', () => {
  it('a quantity whose line would pass the largest billable amount: 400, nothing written', async () => {
    const price = await monthlyPrice(t, '1000000000000000000000.00');
    const { holder_id, wallet_id } = await customer(t, '1.00');
    const before = await t.db.pool.query('SELECT count(*) FROM subscriptions');
    const refused = await post(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: price, quantity: 1_000_000 }],
    });
    expectProblem(refused, 400, 'invalid_amount', 'items.0.quantity');
    expect((await t.db.pool.query('SELECT count(*) FROM subscriptions')).rows).toEqual(before.rows);
  });

  it('usage that would bill more than one line can hold: 400', async () => {
    const metered = await monthlyPrice(t, '1000000000000.00', { usage_type: 'metered' });
    const { holder_id, wallet_id } = await customer(t, '1.00');
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: metered }],
    });
    const item = (sub.items as { id: string }[])[0]?.id;
    await postOk(t, '/v1/usage_records', { subscription_item_id: item, quantity: 1_000_000_000 });
    const refused = await post(t, '/v1/usage_records', {
      subscription_item_id: item,
      quantity: 1_000_000_000_000,
    });
    expectProblem(refused, 400, 'invalid_amount', 'quantity');
  });

  it('prorations piling up for one invoice are refused past 100; the renewal still writes', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '1000.00');
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
    const item = (sub.items as { id: string }[])[0]?.id;
    let refused = 0;
    for (let i = 0; i < 60; i += 1) {
      t.clock.advance(1_000);
      const response = await post(t, `/v1/subscriptions/${sub.id}`, {
        items: [{ id: item, quantity: 2 + (i % 2) }],
      });
      if (response.statusCode === 409) refused += 1;
      else expect(response.statusCode, response.body).toBe(200);
    }
    expect(refused).toBeGreaterThan(0);
    const pending = await t.db.pool.query(
      'SELECT count(*)::int AS n FROM invoice_items WHERE subscription_id = $1',
      [sub.id],
    );
    expect(pending.rows[0].n).toBeLessThanOrEqual(100);
    const billing = { pool: t.db.pool, limits: t.config.limits, rails: t.config.rails };
    const later = new Date(t.clock.now().getTime() + 32 * 86_400_000);
    expect(await renewDue(billing, { test_clock_id: null }, later, 100)).toBeGreaterThan(0);
    expect((await invoicesOf(t, sub.id)).at(-1)?.billing_reason).toBe('subscription_cycle');
  });
});

describe('time not paid for is not credited', () => {
  it('canceling a past_due subscription with prorate credits nothing', async () => {
    const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2027-05-01T00:00:00Z' });
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '10.00', clock.id);
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
    await advance(t, clock.id, '2027-06-02T00:00:00Z');
    expect((await getJson(t, `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
    const canceled = await postOk(t, `/v1/subscriptions/${sub.id}/cancel`, { prorate: true }, 200);
    expect(canceled.status).toBe('canceled');
    expect((await balanceOf(t, wallet_id)).available).toBe('0.00');
    // The wallet's balance reads the same from the balance endpoint, whatever the clock's time.
    expect((await getJson(t, `/v1/wallets/${wallet_id}/balance`)).available).toBe('0.00');
  });
});

describe('a cancel credits what was paid, never what the items would cost now', () => {
  async function subscribed(extra: Record<string, unknown> = {}, price_amount = '10.00') {
    const price = await monthlyPrice(t, price_amount);
    const { holder_id, wallet_id } = await customer(t, '100.00');
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: price }],
      ...extra,
    });
    const item = (sub.items as { id: string }[])[0]?.id;
    return { sub, wallet_id, item };
  }

  async function creditOf(sub_id: string, body: Record<string, unknown>): Promise<string> {
    t.clock.advance(86_400_000);
    await postOk(t, `/v1/subscriptions/${sub_id}/cancel`, body, 200);
    const last = (await invoicesOf(t, sub_id)).at(-1);
    return last?.billing_reason === 'subscription_cancel' ? String(last.total) : '0.00';
  }

  it('a first period shortened by an anchor credits at most what it cost', async () => {
    const anchor = new Date(t.clock.now().getTime() + 2 * 86_400_000).toISOString();
    const { sub, wallet_id } = await subscribed({ billing_cycle_anchor: anchor }, '10.00');
    const paid = 100 - Number((await balanceOf(t, wallet_id)).available);
    const credit = -Number(await creditOf(sub.id, { prorate: true }));
    expect(credit).toBeGreaterThan(0);
    expect(credit).toBeLessThanOrEqual(paid);
  });

  it('an upgrade that was never billed (none, or waiting and dropped) is not credited', async () => {
    for (const [behavior, cancel] of [
      ['none', { prorate: true }],
      ['create_prorations', { prorate: true, invoice_now: false }],
    ] as const) {
      const { sub, wallet_id, item } = await subscribed();
      await postOk(
        t,
        `/v1/subscriptions/${sub.id}`,
        { items: [{ id: item, quantity: 50 }], proration_behavior: behavior },
        200,
      );
      await creditOf(sub.id, cancel);
      expect(Number((await balanceOf(t, wallet_id)).available)).toBeLessThanOrEqual(100);
    }
  });

  it('a free first period (a 100% coupon) credits nothing', async () => {
    const coupon = await postOk(t, '/v1/coupons', { percent_off: '100', duration: 'once' });
    const { sub, wallet_id } = await subscribed({ coupon: coupon.id });
    expect(await creditOf(sub.id, { prorate: true })).toBe('0.00');
    expect((await balanceOf(t, wallet_id)).available).toBe('100.00');
  });

  it('pausing and resuming a past_due subscription leaves it past_due', async () => {
    const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2027-08-01T00:00:00Z' });
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '10.00', clock.id);
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
    await advance(t, clock.id, '2027-09-02T00:00:00Z');
    await postOk(t, `/v1/subscriptions/${sub.id}/pause`, undefined, 200);
    expect((await postOk(t, `/v1/subscriptions/${sub.id}/resume`, undefined, 200)).status).toBe('past_due');
  });
});
