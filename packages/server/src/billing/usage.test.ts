import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, post, postOk } from '../test-support/money.js';
import { advance, customer, invoicesOf, monthlyPrice } from './test-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const tiers = [
  { up_to: 10, unit_amount: '1.00' },
  { up_to: 'inf', unit_amount: '0.50', flat_amount: '2.00' },
];

async function meteredPrice(terms: Record<string, unknown>): Promise<string> {
  const product = await postOk(t, '/v1/products', { name: 'API calls' });
  const price = await postOk(t, '/v1/prices', {
    product_id: product.id,
    currency: 'USD',
    recurring: { interval: 'month' },
    usage_type: 'metered',
    ...terms,
  });
  return price.id;
}

/** A subscription to one metered price from 2027-01-01 in its own test clock; nothing is paid up front. */
async function meteredSubscription(price: string) {
  const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' });
  const { holder_id, wallet_id } = await customer(t, '100.00', clock.id);
  const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
  expect(sub.status).toBe('active');
  const [first] = await invoicesOf(t, sub.id);
  expect(first).toMatchObject({ status: 'paid', total: '0.00' });
  const item_id = (sub.items as { id: string }[])[0]?.id ?? '';
  return { clock_id: clock.id, sub_id: sub.id, item_id, wallet_id };
}

function record(item_id: string, quantity: number, extra: Record<string, unknown> = {}) {
  return post(t, '/v1/usage_records', { subscription_item_id: item_id, quantity, ...extra });
}

async function recorded(item_id: string, quantity: number, extra: Record<string, unknown> = {}) {
  const response = await record(item_id, quantity, extra);
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as { id: string; invoice_id: string | null };
}

/** The usage line of the renewal invoice at `index` (1: the first renewal). */
async function usageLineOf(sub_id: string, index: number) {
  const invoice = (await invoicesOf(t, sub_id))[index];
  const lines = invoice?.lines as Record<string, unknown>[];
  expect(lines.map((line) => line.type)).toEqual(['usage']);
  return { invoice, line: lines[0] };
}

describe('metered prices billed at period end', () => {
  it('graduated tiers: 25 units are 10 × 1.00 + 15 × 0.50 + 2.00', async () => {
    const { clock_id, sub_id, item_id, wallet_id } = await meteredSubscription(
      await meteredPrice({ billing_scheme: 'tiered', tiers_mode: 'graduated', tiers }),
    );
    await recorded(item_id, 12, { timestamp: '2027-01-05T00:00:00Z' });
    await recorded(item_id, 13, { timestamp: '2027-01-31T23:59:59Z' });
    await advance(t, clock_id, '2027-02-01T00:00:00Z');
    const { invoice, line } = await usageLineOf(sub_id, 1);
    expect(line).toMatchObject({
      quantity: 25,
      amount: '19.50',
      period: { start: '2027-01-01T00:00:00.000Z', end: '2027-02-01T00:00:00.000Z' },
    });
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', total: '19.50' });
    expect((await balanceOf(t, wallet_id)).available).toBe('80.50');
  });

  it('volume tiers: 25 units all at the tier 25 reaches, 25 × 0.50 + 2.00', async () => {
    const { clock_id, sub_id, item_id } = await meteredSubscription(
      await meteredPrice({ billing_scheme: 'tiered', tiers_mode: 'volume', tiers }),
    );
    await recorded(item_id, 25, { timestamp: '2027-01-10T00:00:00Z' });
    await advance(t, clock_id, '2027-02-01T00:00:00Z');
    const { invoice, line } = await usageLineOf(sub_id, 1);
    expect(line).toMatchObject({ quantity: 25, amount: '14.50' });
    expect(invoice?.total).toBe('14.50');
  });

  it('set replaces the running total as of its timestamp; increments add, in timestamp order', async () => {
    const { clock_id, sub_id, item_id } = await meteredSubscription(
      await meteredPrice({ unit_amount: '1.00' }),
    );
    // Sent out of order: by timestamp it is 5, +7, set 3, +4 = 7 (by arrival it would be 15).
    await recorded(item_id, 4, { timestamp: '2027-01-05T00:00:00Z' });
    await recorded(item_id, 3, { timestamp: '2027-01-04T00:00:00Z', action: 'set' });
    await recorded(item_id, 5, { timestamp: '2027-01-02T00:00:00Z', action: 'increment' });
    await recorded(item_id, 7, { timestamp: '2027-01-03T00:00:00Z' });
    await advance(t, clock_id, '2027-02-01T00:00:00Z');
    const { invoice, line } = await usageLineOf(sub_id, 1);
    expect(line).toMatchObject({ quantity: 7, unit_amount: '1.00', amount: '7.00' });
    const billed = await t.db.pool.query<{ invoice_id: string | null }>(
      'SELECT DISTINCT invoice_id FROM usage_records WHERE subscription_item_id = $1',
      [item_id],
    );
    expect(billed.rows).toEqual([{ invoice_id: invoice?.id }]);
  });
});

describe('recording usage', () => {
  it('records an identifier once: again is 200 with the same record, with other values 409', async () => {
    const { clock_id, sub_id, item_id } = await meteredSubscription(
      await meteredPrice({ unit_amount: '1.00' }),
    );
    const body = { identifier: 'usage-once-1', timestamp: '2027-01-07T00:00:00Z' };
    const first = await record(item_id, 5, body);
    expect(first.statusCode, first.body).toBe(201);
    const again = await record(item_id, 5, body);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(first.json());
    expectProblem(await record(item_id, 6, body), 409, 'usage_identifier_reused', 'identifier');
    const rows = await t.db.pool.query('SELECT quantity FROM usage_records WHERE identifier = $1', [
      body.identifier,
    ]);
    expect(rows.rows).toEqual([{ quantity: '5' }]);
    await advance(t, clock_id, '2027-02-01T00:00:00Z');
    expect((await usageLineOf(sub_id, 1)).line).toMatchObject({ quantity: 5, amount: '5.00' });
  });

  it('refuses usage for a licensed price with 400 price_not_metered, writing nothing', async () => {
    const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' });
    const { holder_id, wallet_id } = await customer(t, '20.00', clock.id);
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: await monthlyPrice(t, '10.00') }],
    });
    const item_id = (sub.items as { id: string }[])[0]?.id ?? '';
    expectProblem(
      await record(item_id, 3, { identifier: 'licensed-1' }),
      400,
      'price_not_metered',
      'subscription_item_id',
    );
    const rows = await t.db.pool.query('SELECT 1 FROM usage_records WHERE subscription_item_id = $1', [
      item_id,
    ]);
    expect(rows.rowCount).toBe(0);
  });

  it('bills a late record (for a period already invoiced) on the next invoice, once', async () => {
    const { clock_id, sub_id, item_id } = await meteredSubscription(
      await meteredPrice({ unit_amount: '1.00' }),
    );
    await recorded(item_id, 10, { timestamp: '2027-01-15T00:00:00Z' });
    await advance(t, clock_id, '2027-02-05T00:00:00Z');
    const january = await usageLineOf(sub_id, 1);
    expect(january.line).toMatchObject({ quantity: 10, amount: '10.00' });

    const late = await recorded(item_id, 4, { timestamp: '2027-01-20T00:00:00Z' });
    expect(late.invoice_id).toBeNull();
    await recorded(item_id, 2, { timestamp: '2027-02-10T00:00:00Z' });
    await advance(t, clock_id, '2027-03-01T00:00:00Z');
    const february = await usageLineOf(sub_id, 2);
    expect(february.line).toMatchObject({
      quantity: 6,
      amount: '6.00',
      period: { start: '2027-02-01T00:00:00.000Z', end: '2027-03-01T00:00:00.000Z' },
    });
    expect((await usageLineOf(sub_id, 1)).invoice).toEqual(january.invoice);
    const billed = await t.db.pool.query('SELECT invoice_id FROM usage_records WHERE id = $1', [late.id]);
    expect(billed.rows).toEqual([{ invoice_id: february.invoice?.id }]);
  });
});
