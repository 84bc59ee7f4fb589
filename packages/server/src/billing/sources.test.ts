import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job_handlers } from '../jobs/handlers.js';
import { runDueJobs } from '../jobs/queue.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, getJson, newWallet, post, postOk } from '../test-support/money.js';
import { resolvePendingCharges } from './renewals.js';
import { customer, invoicesOf, monthlyPrice } from './test-support.js';

/** Subscriptions collected through a rail: a card answers at once, a bank debit later. */

let t: TestApp;
let price: string;
let revenue: string;
beforeAll(async () => {
  t = await createTestApp();
  price = await monthlyPrice(t, '12.00');
  revenue = await newWallet(t);
});
afterAll(() => t.close());

async function subscribe(source: Record<string, unknown>) {
  const { holder_id } = await customer(t, '0');
  return postOk(t, '/v1/subscriptions', {
    holder_id,
    source,
    revenue_wallet_id: revenue,
    items: [{ price_id: price }],
  });
}

describe('a subscription paid from a source', () => {
  it('by card: active at once, the payment credited to the revenue wallet, the card shown by its last four', async () => {
    const before = (await balanceOf(t, revenue)).available;
    const sub = await subscribe({ type: 'card', number: '4242424242424242' });
    expect(sub).toMatchObject({ status: 'active', source: { type: 'card', last4: '4242' } });
    const [invoice] = await invoicesOf(t, sub.id);
    expect(invoice).toMatchObject({ status: 'paid', payment_id: expect.stringMatching(/^pay_/) });
    expect(JSON.stringify(invoice)).not.toContain('4242424242424242');
    expect(Number((await balanceOf(t, revenue)).available) - Number(before)).toBe(12);
  });

  it('by a declined card: incomplete, the invoice open with the decline code', async () => {
    const sub = await subscribe({ type: 'card', number: '4000000000000002' });
    expect(sub.status).toBe('incomplete');
    const [invoice] = await invoicesOf(t, sub.id);
    expect(invoice).toMatchObject({ status: 'open', last_failure_code: 'card_declined', payment_id: null });
  });

  it('by bank debit: open while the debit settles, then paid and active', async () => {
    const sub = await subscribe({
      type: 'bank_account',
      account_number: '000123456789',
      routing_number: '110000000',
    });
    expect(sub.status).toBe('incomplete');
    const [pending] = await invoicesOf(t, sub.id);
    expect(pending).toMatchObject({ status: 'open', payment_id: expect.stringMatching(/^pay_/) });
    const later = new Date(t.clock.now().getTime() + 3_600_000);
    for (let ran = -1; ran !== 0; ) ran = await runDueJobs(t.db.pool, job_handlers, later, 50);
    const billing = { pool: t.db.pool, limits: t.config.limits, rails: t.config.rails };
    expect(await resolvePendingCharges(billing, { test_clock_id: null }, later, 50)).toBe(1);
    expect(await resolvePendingCharges(billing, { test_clock_id: null }, later, 50)).toBe(0);
    expect((await getJson(t, `/v1/invoices/${pending?.id}`)).status).toBe('paid');
    expect((await getJson(t, `/v1/subscriptions/${sub.id}`)).status).toBe('active');
  });

  it('needs a revenue wallet: payments go into a wallet', async () => {
    const { holder_id } = await customer(t, '0');
    const refused = await post(t, '/v1/subscriptions', {
      holder_id,
      source: { type: 'card', number: '4242424242424242' },
      items: [{ price_id: price }],
    });
    expectProblem(refused, 400, 'invalid_request', 'revenue_wallet_id');
  });
});
