import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { expectProblem, post, postOk } from '../test-support/money.js';
import { advance, customer, invoicesOf, monthlyPrice } from './test-support.js';

/** Coupons and archived prices follow the same rules whichever endpoint takes them. */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('catalogue rules', () => {
  it('a repeating coupon given by an update stops after its months, as one given at creation does', async () => {
    const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' });
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '100.00', clock.id);
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
    const coupon = await postOk(t, '/v1/coupons', {
      percent_off: '50',
      duration: 'repeating',
      duration_in_months: 2,
    });
    // It used to keep discount_end null: half off every invoice, for ever.
    const updated = await postOk(t, `/v1/subscriptions/${sub.id}`, { coupon: coupon.id }, 200);
    expect(updated).toMatchObject({ coupon_id: coupon.id, discount_end: '2027-03-01T00:00:00.000Z' });
    await advance(t, clock.id, '2027-05-02T00:00:00Z');
    expect((await invoicesOf(t, sub.id)).map((inv) => [inv.period_start, inv.discount, inv.total])).toEqual([
      ['2027-01-01T00:00:00.000Z', '0.00', '10.00'],
      ['2027-02-01T00:00:00.000Z', '5.00', '5.00'],
      ['2027-03-01T00:00:00.000Z', '0.00', '10.00'],
      ['2027-04-01T00:00:00.000Z', '0.00', '10.00'],
      ['2027-05-01T00:00:00.000Z', '0.00', '10.00'],
    ]);
  });

  it('a one-off invoice refuses an archived price, or a price of an archived product', async () => {
    const { holder_id } = await customer(t, '0');
    for (const archive of ['price', 'product'] as const) {
      const product = await postOk(t, '/v1/products', { name: 'Setup' });
      const price = await postOk(t, '/v1/prices', {
        product_id: product.id,
        currency: 'USD',
        unit_amount: '5.00',
      });
      const archived = archive === 'price' ? `/v1/prices/${price.id}` : `/v1/products/${product.id}`;
      await postOk(t, archived, { active: false }, 200);
      const refused = await post(t, '/v1/invoices', {
        holder_id,
        currency: 'USD',
        lines: [{ description: 'Travel', amount: '20.00' }, { price_id: price.id }],
      });
      expectProblem(refused, 400, 'price_inactive', 'lines.1.price_id');
    }
    const invoices = await t.db.pool.query('SELECT count(*)::int AS n FROM invoices WHERE holder_id = $1', [
      holder_id,
    ]);
    expect(invoices.rows).toEqual([{ n: 0 }]);
  });
});
