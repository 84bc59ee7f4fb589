import { decodeTime } from 'ulidx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
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

describe('what the attack on billing found, refused', () => {
  it('an invoice whose bank debit is still settling cannot be paid again or voided', async () => {
    const price = await monthlyPrice(t, '12.00');
    const { holder_id } = await customer(t, '0');
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      source: { type: 'bank_account', account_number: '000123456789', routing_number: '110000000' },
      revenue_wallet_id: (await postOk(t, '/v1/wallets', { currency: 'USD' })).id,
      items: [{ price_id: price }],
    });
    const [invoice] = await invoicesOf(t, sub.id);
    expectProblem(await post(t, `/v1/invoices/${invoice?.id}/pay`, {}), 409, 'invoice_not_payable');
    expectProblem(await post(t, `/v1/invoices/${invoice?.id}/void`), 409, 'invoice_not_payable');
  });

  it('a subscription keeps at most 20 items', async () => {
    const { holder_id, wallet_id } = await customer(t, '1000.00');
    const first = await monthlyPrice(t, '1.00');
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: first }] });
    const more = [];
    for (let i = 0; i < 20; i += 1) more.push({ price_id: await monthlyPrice(t, '1.00') });
    expectProblem(
      await post(t, `/v1/subscriptions/${sub.id}`, { items: more }),
      400,
      'invalid_request',
      'items',
    );
  });

  it('usage recorded at a free price cannot be moved to a dear one', async () => {
    const free = await monthlyPrice(t, '0.00', { usage_type: 'metered' });
    const dear = await monthlyPrice(t, '1000000000000.00', { usage_type: 'metered' });
    const { holder_id, wallet_id } = await customer(t, '1.00');
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: free }] });
    const item = (sub.items as { id: string }[])[0]?.id;
    await postOk(t, '/v1/usage_records', { subscription_item_id: item, quantity: 1_000_000_000_000 });
    expectProblem(
      await post(t, `/v1/subscriptions/${sub.id}`, { items: [{ id: item, price_id: dear }] }),
      400,
      'invalid_amount',
      'items',
    );
  });

  it('a key with a spend policy cannot record usage; revenue goes to a platform wallet only', async () => {
    const bound = await createKey(t, {
      scopes: ['usage_records:write'],
      spend_policy: { limits: [{ currency: 'USD', per_movement_max: '1.00' }] },
    });
    const usage = await t.request({
      method: 'POST',
      url: '/v1/usage_records',
      key: bound.secret,
      payload: { subscription_item_id: 'si_x', quantity: 1 },
    });
    expectProblem(usage, 403, 'key_restricted');
    const price = await monthlyPrice(t, '1.00');
    const { holder_id, wallet_id } = await customer(t, '10.00');
    const someone = await customer(t, '0');
    const refused = await post(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      revenue_wallet_id: someone.wallet_id,
      items: [{ price_id: price }],
    });
    expectProblem(refused, 400, 'invalid_request', 'revenue_wallet_id');
  });

  it('void of a draft, a wallet paying itself and a price at the largest amount are 4xx, not 5xx', async () => {
    const { holder_id, wallet_id } = await customer(t, '10.00');
    const draft = await postOk(t, '/v1/invoices', {
      holder_id,
      currency: 'USD',
      lines: [{ amount: '1.00' }],
    });
    expectProblem(await post(t, `/v1/invoices/${draft.id}/void`), 409, 'invoice_not_payable');
    const platform = (await postOk(t, '/v1/wallets', { currency: 'USD' })).id;
    const self = await post(t, '/v1/invoices', {
      holder_id,
      currency: 'USD',
      wallet_id,
      revenue_wallet_id: wallet_id,
      lines: [{ amount: '1.00' }],
    });
    expect(self.statusCode).toBe(400);
    expect(platform).toMatch(/^wal_/);
    const product = await postOk(t, '/v1/products', { name: 'Huge' });
    const huge = await post(t, '/v1/prices', {
      product_id: product.id,
      currency: 'USD',
      unit_amount: '10000000000000000000000000.00',
      recurring: { interval: 'month' },
    });
    expectProblem(huge, 400, 'invalid_amount', 'unit_amount');
  });

  it('objects made in a clock years ahead do not stamp later ids with its time', async () => {
    const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2190-01-01T00:00:00Z' });
    const price = await monthlyPrice(t, '1.00');
    const { holder_id, wallet_id } = await customer(t, '10.00', clock.id);
    await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
    const later = await postOk(t, '/v1/holders', { name: 'Now' });
    const ms = decodeTime(later.id.slice('hol_'.length).toUpperCase());
    expect(ms).toBeLessThanOrEqual(Date.now());
    expectProblem(
      await post(t, '/v1/test_clocks', { frozen_time: '2300-01-01T00:00:00Z' }),
      400,
      'invalid_request',
      'frozen_time',
    );
  });
});

describe('a batch that renews both modes', () => {
  it("keeps each subscription's tax, whichever mode its rates are in", async () => {
    const as = (key: string) => async (url: string, payload: Record<string, unknown>) => {
      const response = await t.request({ method: 'POST', url, key, payload });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as { id: string; items: { id: string }[] };
    };
    const subs: string[] = [];
    for (const key of [t.test_key, t.live_key]) {
      const create = as(key);
      const product = await create('/v1/products', { name: 'Taxed' });
      const price = await create('/v1/prices', {
        product_id: product.id,
        currency: 'USD',
        unit_amount: '10.00',
        recurring: { interval: 'month' },
      });
      const tax = await create('/v1/tax_rates', { display_name: 'VAT', percentage: '20', inclusive: false });
      const holder = await create('/v1/holders', { name: 'Taxed' });
      const wallet = await create('/v1/wallets', { currency: 'USD', holder_id: holder.id });
      // Live mode has no rail to fund a wallet from: a platform wallet's overdraft does.
      const platform = await create('/v1/wallets', { currency: 'USD', overdraft_limit: '100.00' });
      await create('/v1/transfers', {
        source_wallet_id: platform.id,
        destination_wallet_id: wallet.id,
        amount: '50.00',
        currency: 'USD',
      });
      const sub = await create('/v1/subscriptions', {
        holder_id: holder.id,
        wallet_id: wallet.id,
        items: [{ price_id: price.id }],
        default_tax_rates: [tax.id],
      });
      subs.push(sub.id);
    }
    const billing = { pool: t.db.pool, limits: t.config.limits, rails: t.config.rails };
    const later = new Date(t.clock.now().getTime() + 40 * 86_400_000);
    while ((await renewDue(billing, { test_clock_id: null }, later, 1_000)) > 0);
    const taxes = await t.db.pool.query<{ tax: string }>(
      "SELECT tax::text FROM invoices WHERE subscription_id = ANY($1::text[]) AND billing_reason = 'subscription_cycle'",
      [subs],
    );
    expect(taxes.rows.length).toBeGreaterThanOrEqual(2);
    expect(taxes.rows.every((row) => row.tax === '200')).toBe(true);
  });
});

describe('the billing run sets aside what it cannot renew', () => {
  it('a subscription whose invoice cannot be written is set unpaid; the rest of its batch renews', async () => {
    const price = await monthlyPrice(t, '10.00');
    const good = await customer(t, '100.00');
    const bad = await customer(t, '100.00');
    const ok_sub = await postOk(t, '/v1/subscriptions', { ...good, items: [{ price_id: price }] });
    const broken = await postOk(t, '/v1/subscriptions', { ...bad, items: [{ price_id: price }] });
    // A waiting line no request could make (requests refuse it): the invoice's total would break its CHECK.
    const huge = '9'.repeat(30);
    await t.db.pool.query(
      `INSERT INTO invoice_items (id, livemode, subscription_id, line, created_at)
       VALUES ('ii_corrupt', false, $1, jsonb_build_object('type', 'proration', 'description', 'Corrupt', 'price_id', null,
         'subscription_item_id', null, 'quantity', '1', 'unit_amount_minor', null, 'amount_minor', $2::text, 'proration', true,
         'period_start', now(), 'period_end', now()), now())`,
      [broken.id, huge],
    );
    const billing = { pool: t.db.pool, limits: t.config.limits, rails: t.config.rails };
    const later = new Date(t.clock.now().getTime() + 40 * 86_400_000);
    expect(await renewDue(billing, { test_clock_id: null }, later, 1_000)).toBeGreaterThanOrEqual(2);
    expect((await getJson(t, `/v1/subscriptions/${broken.id}`)).status).toBe('unpaid');
    const renewed = await getJson(t, `/v1/subscriptions/${ok_sub.id}`);
    expect(renewed.status).toBe('active');
    expect((await invoicesOf(t, ok_sub.id)).at(-1)?.billing_reason).toBe('subscription_cycle');
  });
});

describe('invoice PDFs', () => {
  it('are rendered once per content and one at a time: parallel downloads all answer, identically', async () => {
    const { holder_id } = await customer(t, '0');
    const lines = Array.from({ length: 200 }, (_, i) => ({ description: `Line ${i}`, amount: '1.00' }));
    const invoice = await postOk(t, '/v1/invoices', { holder_id, currency: 'USD', lines });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => t.request({ method: 'GET', url: `/v1/invoices/${invoice.id}/pdf` })),
    );
    for (const answer of answers) expect(answer.statusCode).toBe(200);
    const bodies = new Set(answers.map((answer) => answer.rawPayload.toString('base64')));
    expect(bodies.size).toBe(1);
  });
});

describe('a credit gives back the tax that was paid, not the tax of today', () => {
  it('a tax rate added after the payment is not refunded', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '100.00');
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
    const vat = await postOk(t, '/v1/tax_rates', { display_name: 'VAT', percentage: '50', inclusive: false });
    await postOk(t, `/v1/subscriptions/${sub.id}`, { default_tax_rates: [vat.id] }, 200);
    t.clock.advance(60_000);
    await postOk(t, `/v1/subscriptions/${sub.id}/cancel`, { prorate: true }, 200);
    // Paid 10.00 with no tax; at most 10.00 comes back.
    expect(Number((await balanceOf(t, wallet_id)).available)).toBeLessThanOrEqual(100);
  });

  it('a tax that was paid is given back with the unused time', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '100.00');
    const vat = await postOk(t, '/v1/tax_rates', { display_name: 'VAT', percentage: '20', inclusive: false });
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: price }],
      default_tax_rates: [vat.id],
    });
    expect((await balanceOf(t, wallet_id)).available).toBe('88.00');
    await postOk(t, `/v1/subscriptions/${sub.id}/cancel`, { prorate: true }, 200);
    expect((await balanceOf(t, wallet_id)).available).toBe('100.00');
  });
});

describe('what the second attack found, refused', () => {
  it('toggling a quantity with always_invoice keeps invoices short and the subscription cancelable', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '1000.00');
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
    const item = (sub.items as { id: string }[])[0]?.id;
    for (let i = 0; i < 12; i += 1) {
      t.clock.advance(1_000);
      const body = { items: [{ id: item, quantity: 2 + (i % 2) }], proration_behavior: 'always_invoice' };
      await postOk(t, `/v1/subscriptions/${sub.id}`, body, 200);
    }
    const longest = Math.max(...(await invoicesOf(t, sub.id)).map((inv) => (inv.lines as unknown[]).length));
    expect(longest).toBeLessThanOrEqual(10);
    await postOk(t, `/v1/subscriptions/${sub.id}/cancel`, { prorate: true }, 200);
  });

  it('changing an item to a price another item has is 400, not 500', async () => {
    const a = await monthlyPrice(t, '1.00');
    const b = await monthlyPrice(t, '2.00');
    const { holder_id, wallet_id } = await customer(t, '100.00');
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: a }, { price_id: b }],
    });
    const first = (sub.items as { id: string }[])[0]?.id;
    expectProblem(
      await post(t, `/v1/subscriptions/${sub.id}`, { items: [{ id: first, price_id: b }] }),
      400,
      'invalid_request',
      'items.0.price_id',
    );
  });

  it('a card-paid subscription downgraded with always_invoice keeps its credit for the next invoice', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { holder_id } = await customer(t, '0');
    const revenue = (await postOk(t, '/v1/wallets', { currency: 'USD' })).id;
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      source: { type: 'card', number: '4242424242424242' },
      revenue_wallet_id: revenue,
      items: [{ price_id: price, quantity: 3 }],
    });
    const item = (sub.items as { id: string }[])[0]?.id;
    const changed = await postOk(
      t,
      `/v1/subscriptions/${sub.id}`,
      { items: [{ id: item, quantity: 1 }], proration_behavior: 'always_invoice' },
      200,
    );
    expect(changed.status).toBe('active');
    const waiting = await t.db.pool.query(
      'SELECT count(*)::int AS n FROM invoice_items WHERE subscription_id = $1',
      [sub.id],
    );
    expect(waiting.rows[0].n).toBeGreaterThan(0);
  });

  it('an amount coupon on the charge and not its credit gives back no more than was paid', async () => {
    const price = await monthlyPrice(t, '10.00');
    const coupon = await postOk(t, '/v1/coupons', {
      amount_off: '15.00',
      currency: 'USD',
      duration: 'forever',
    });
    const { holder_id, wallet_id } = await customer(t, '100.00');
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: price }],
      coupon: coupon.id,
    });
    const item = (sub.items as { id: string }[])[0]?.id;
    await postOk(t, `/v1/subscriptions/${sub.id}`, { items: [{ id: item, quantity: 2 }] }, 200);
    await postOk(t, `/v1/subscriptions/${sub.id}/cancel`, { prorate: true }, 200);
    expect(Number((await balanceOf(t, wallet_id)).available)).toBeLessThanOrEqual(100);
  });
});

describe('archived tax rates', () => {
  it('apply to nothing new', async () => {
    const rate = await postOk(t, '/v1/tax_rates', {
      display_name: 'Old VAT',
      percentage: '19',
      inclusive: false,
    });
    await postOk(t, `/v1/tax_rates/${rate.id}`, { active: false }, 200);
    const price = await monthlyPrice(t, '1.00');
    const { holder_id, wallet_id } = await customer(t, '10.00');
    const refused = await post(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: price }],
      default_tax_rates: [rate.id],
    });
    expectProblem(refused, 400, 'invalid_request', 'default_tax_rates.0');
  });
});
