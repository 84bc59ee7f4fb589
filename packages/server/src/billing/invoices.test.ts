import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, getJson, post, postOk } from '../test-support/money.js';
import { customer, monthlyPrice } from './test-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const hour_ms = 3_600_000;
const day_ms = 86_400_000;

/** A holder with a funded wallet, and a revenue wallet: what a one-off invoice moves money between. */
async function parties(amount = '500.00') {
  const { holder_id, wallet_id } = await customer(t, amount);
  const revenue = await postOk(t, '/v1/wallets', { currency: 'USD' });
  return { holder_id, wallet_id, revenue_id: revenue.id };
}

async function draft(
  holder_id: string,
  lines: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
) {
  return postOk(t, '/v1/invoices', { holder_id, currency: 'USD', lines, ...extra });
}

const numberOf = (invoice: Record<string, unknown>) =>
  Number(String(invoice.number).slice('INV-TEST-'.length));

describe('a one-off invoice', () => {
  it('goes draft → open (numbered in order, due days_until_due after finalization) → paid from the wallet', async () => {
    const { holder_id, wallet_id, revenue_id } = await parties();
    const price = await monthlyPrice(t, '20.00');
    const created = await draft(
      holder_id,
      [
        { description: 'Consulting', amount: '100.00', quantity: 2 },
        { price_id: price, quantity: 3 },
      ],
      { wallet_id, revenue_wallet_id: revenue_id, days_until_due: 15 },
    );
    expect(created).toMatchObject({
      status: 'draft',
      number: null,
      finalized_at: null,
      billing_reason: 'manual',
      collection_method: 'send_invoice',
      subtotal: '260.00',
      total: '260.00',
      amount_due: '260.00',
    });
    expect(created.lines).toMatchObject([
      {
        type: 'invoice_item',
        description: 'Consulting',
        quantity: 2,
        unit_amount: '100.00',
        amount: '200.00',
      },
      { type: 'invoice_item', price_id: price, quantity: 3, unit_amount: '20.00', amount: '60.00' },
    ]);
    const second = await draft(holder_id, [{ amount: '1.00' }], { wallet_id });

    t.clock.advance(3 * hour_ms);
    const finalized_at = t.clock.now();
    const open = await postOk(t, `/v1/invoices/${created.id}/finalize`, {}, 200);
    expect(open).toMatchObject({
      status: 'open',
      finalized_at: finalized_at.toISOString(),
      due_date: new Date(finalized_at.getTime() + 15 * day_ms).toISOString(),
    });
    expect(open.number).toMatch(/^INV-TEST-\d{6}$/);
    const next = await postOk(t, `/v1/invoices/${second.id}/finalize`, {}, 200);
    expect(numberOf(next)).toBe(numberOf(open) + 1);
    // Without days_until_due, net 30.
    expect(next.due_date).toBe(new Date(finalized_at.getTime() + 30 * day_ms).toISOString());
    expectProblem(await post(t, `/v1/invoices/${created.id}/finalize`), 409, 'invoice_not_payable');

    const paid = await postOk(t, `/v1/invoices/${created.id}/pay`, {}, 200);
    expect(paid).toMatchObject({
      status: 'paid',
      amount_paid: '260.00',
      amount_due: '0.00',
      number: open.number,
    });
    expect((await balanceOf(t, wallet_id)).available).toBe('240.00');
    expect((await balanceOf(t, revenue_id)).available).toBe('260.00');
    const ledger = await t.db.pool.query('SELECT reason FROM ledger_transactions WHERE reference_id = $1', [
      created.id,
    ]);
    expect(ledger.rows).toEqual([{ reason: 'invoice.paid' }]);
    expectProblem(await post(t, `/v1/invoices/${created.id}/pay`, {}), 409, 'invoice_not_payable');
    expect((await balanceOf(t, wallet_id)).available).toBe('240.00');
  });

  it('once void cannot be paid (409 invoice_not_payable); uncollectible still can', async () => {
    const { holder_id, wallet_id } = await parties();
    const voided = await draft(holder_id, [{ amount: '40.00' }], { wallet_id });
    await postOk(t, `/v1/invoices/${voided.id}/finalize`, {}, 200);
    const after_void = await postOk(t, `/v1/invoices/${voided.id}/void`, {}, 200);
    expect(after_void).toMatchObject({ status: 'void', amount_due: '0.00', next_payment_attempt: null });
    expect(after_void.voided_at).not.toBeNull();
    expectProblem(await post(t, `/v1/invoices/${voided.id}/pay`, {}), 409, 'invoice_not_payable');
    expectProblem(await post(t, `/v1/invoices/${voided.id}/mark_uncollectible`), 409, 'invoice_not_payable');
    expect((await balanceOf(t, wallet_id)).available).toBe('500.00');

    const given_up = await draft(holder_id, [{ amount: '25.00' }], { wallet_id });
    // Only an open invoice can be given up on.
    expectProblem(
      await post(t, `/v1/invoices/${given_up.id}/mark_uncollectible`),
      409,
      'invoice_not_payable',
    );
    await postOk(t, `/v1/invoices/${given_up.id}/finalize`, {}, 200);
    const uncollectible = await postOk(t, `/v1/invoices/${given_up.id}/mark_uncollectible`, {}, 200);
    expect(uncollectible).toMatchObject({ status: 'uncollectible', amount_due: '25.00' });
    expect(uncollectible.marked_uncollectible_at).not.toBeNull();
    expect(await postOk(t, `/v1/invoices/${given_up.id}/pay`, {}, 200)).toMatchObject({ status: 'paid' });
    expect((await balanceOf(t, wallet_id)).available).toBe('475.00');
  });
});

describe('coupons and tax rates', () => {
  // Lines of 12.00 and 33.33 throughout; every expected figure is worked out in the comments.
  const lines = [{ amount: '12.00' }, { amount: '33.33' }];

  it('a percent coupon with an exclusive tax', async () => {
    const { holder_id } = await parties();
    const coupon = await postOk(t, '/v1/coupons', { percent_off: '15', duration: 'once' });
    const vat = await postOk(t, '/v1/tax_rates', {
      display_name: 'Sales tax',
      percentage: '8.25',
      inclusive: false,
    });
    const invoice = await draft(holder_id, lines, { coupon: coupon.id, default_tax_rates: [vat.id] });
    // 15% off: 1.80 and 4.9995 → 5.00. Taxed: 10.20 × 8.25% = 0.8415 → 0.84; 28.33 × 8.25% = 2.337225 → 2.34.
    expect(invoice.lines).toMatchObject([
      {
        amount: '12.00',
        discount_amount: '1.80',
        tax_amounts: [{ tax_rate_id: vat.id, inclusive: false, amount: '0.84' }],
      },
      {
        amount: '33.33',
        discount_amount: '5.00',
        tax_amounts: [{ tax_rate_id: vat.id, inclusive: false, amount: '2.34' }],
      },
    ]);
    // 45.33 - 6.80 + 3.18
    expect(invoice).toMatchObject({ subtotal: '45.33', discount: '6.80', tax: '3.18', total: '41.71' });
  });

  it('an amount coupon with an inclusive tax', async () => {
    const { holder_id } = await parties();
    const coupon = await postOk(t, '/v1/coupons', { amount_off: '7.50', currency: 'USD', duration: 'once' });
    const vat = await postOk(t, '/v1/tax_rates', { display_name: 'VAT', percentage: '20', inclusive: true });
    const invoice = await draft(holder_id, lines, { coupon: coupon.id, default_tax_rates: [vat.id] });
    // 7.50 shared by amount: 1.9854 and 5.5146 → 1.98 + 5.51 = 7.49, the last cent to the larger
    // remainder (0.9854): 1.99 and 5.51. Inclusive 20% of 10.01: 10.01 - 10.01 / 1.2 (8.3416 → 8.34)
    // = 1.67; of 27.82: 27.82 - 23.1833 → 23.18 = 4.64.
    expect(invoice.lines).toMatchObject([
      { discount_amount: '1.99', tax_amounts: [{ inclusive: true, amount: '1.67' }] },
      { discount_amount: '5.51', tax_amounts: [{ inclusive: true, amount: '4.64' }] },
    ]);
    // Inclusive tax is already in the amounts: 45.33 - 7.50.
    expect(invoice).toMatchObject({ subtotal: '45.33', discount: '7.50', tax: '6.31', total: '37.83' });
  });

  it('an inclusive and an exclusive rate on one line are each computed on its amount', async () => {
    const { holder_id, wallet_id } = await parties();
    const vat = await postOk(t, '/v1/tax_rates', { display_name: 'VAT', percentage: '20', inclusive: true });
    const city = await postOk(t, '/v1/tax_rates', {
      display_name: 'City',
      percentage: '8.25',
      inclusive: false,
    });
    const invoice = await draft(holder_id, [{ amount: '100.00' }], {
      wallet_id,
      default_tax_rates: [vat.id, city.id],
    });
    // Inclusive: 100.00 - 83.333 → 83.33 = 16.67; exclusive: 8.25. Total 100.00 + 8.25.
    expect(invoice).toMatchObject({ subtotal: '100.00', discount: '0.00', tax: '24.92', total: '108.25' });
    await postOk(t, `/v1/invoices/${invoice.id}/pay`, {}, 200);
    expect((await balanceOf(t, wallet_id)).available).toBe('391.75');
  });
});

describe('reading invoices', () => {
  it('renders a PDF', async () => {
    const { holder_id } = await parties();
    const invoice = await draft(holder_id, [{ description: 'Setup fee', amount: '99.00' }]);
    await postOk(t, `/v1/invoices/${invoice.id}/finalize`, {}, 200);
    const pdf = await t.request({ method: 'GET', url: `/v1/invoices/${invoice.id}/pdf` });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toMatch(/^application\/pdf/);
    expect(pdf.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.rawPayload.length).toBeGreaterThan(500);
  });

  it('a live-mode key sees no test invoice: 404 for it, its PDF and its actions', async () => {
    const { holder_id, wallet_id } = await parties();
    const invoice = await draft(holder_id, [{ amount: '5.00' }], { wallet_id });
    const as_live = (method: 'GET' | 'POST', url: string) => t.request({ method, url, key: t.live_key });
    for (const response of [
      await as_live('GET', `/v1/invoices/${invoice.id}`),
      await as_live('GET', `/v1/invoices/${invoice.id}/pdf`),
      await as_live('POST', `/v1/invoices/${invoice.id}/finalize`),
      await as_live('POST', `/v1/invoices/${invoice.id}/void`),
    ])
      expectProblem(response, 404, 'resource_not_found');
    const listed = await as_live('GET', '/v1/invoices?limit=100');
    expect(listed.statusCode).toBe(200);
    expect((listed.json().data as { id: string }[]).map((inv) => inv.id)).not.toContain(invoice.id);
    expect((await getJson(t, `/v1/invoices/${invoice.id}`)).status).toBe('draft');
  });

  it('lists by subscription_id and by status', async () => {
    const { holder_id, wallet_id } = await parties();
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: await monthlyPrice(t, '10.00') }],
    });
    const one_off = await draft(holder_id, [{ amount: '3.00' }]);
    await postOk(t, `/v1/invoices/${one_off.id}/finalize`, {}, 200);
    await postOk(t, `/v1/invoices/${one_off.id}/void`, {}, 200);
    const still_draft = await draft(holder_id, [{ amount: '4.00' }]);

    const ids = async (query: string) =>
      ((await getJson(t, `/v1/invoices?${query}&limit=100`)).data as { id: string; status: string }[]).map(
        (inv) => [inv.id, inv.status],
      );
    const of_sub = await ids(`subscription_id=${sub.id}`);
    expect(of_sub).toEqual([[sub.latest_invoice_id, 'paid']]);
    expect(await ids(`holder_id=${holder_id}&status=void`)).toEqual([[one_off.id, 'void']]);
    expect(await ids(`holder_id=${holder_id}&status=draft`)).toEqual([[still_draft.id, 'draft']]);
    expect((await ids('status=void')).every(([, status]) => status === 'void')).toBe(true);
    expect(await ids('status=void')).toContainEqual([one_off.id, 'void']);
  });
});

describe('bad input', () => {
  async function written() {
    const counts = await t.db.pool.query<{ invoices: string; events: string; redeemed: string }>(
      `SELECT (SELECT count(*) FROM invoices) AS invoices, (SELECT count(*) FROM events) AS events,
         (SELECT coalesce(sum(times_redeemed), 0) FROM coupons) AS redeemed`,
    );
    return counts.rows[0];
  }

  it('a float amount is a 400 problem, and nothing is written', async () => {
    const { holder_id } = await parties();
    const before = await written();
    for (const amount of [12.5, '12.345', '-3.00']) {
      const response = await post(t, '/v1/invoices', { holder_id, currency: 'USD', lines: [{ amount }] });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'invalid_amount', param: 'lines.0.amount' });
    }
    expect(await written()).toEqual(before);
  });

  it('a price in another currency than the invoice is 400 price_mismatch, and nothing is written', async () => {
    await post(t, '/v1/assets', { code: 'EUR', scale: 2, name: 'Euro' });
    const euro_price = await monthlyPrice(t, '10.00', {}, 'EUR');
    const { holder_id } = await parties();
    const coupon = await postOk(t, '/v1/coupons', { percent_off: '10', duration: 'once' });
    const before = await written();
    const refused = await post(t, '/v1/invoices', {
      holder_id,
      currency: 'USD',
      lines: [{ amount: '5.00' }, { price_id: euro_price }],
      coupon: coupon.id,
    });
    expectProblem(refused, 400, 'price_mismatch', 'lines.1.price_id');
    expect(await written()).toEqual(before);
    expect((await getJson(t, `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(0);
  });
});
