import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, NotFoundError } from '../src/index.js';
import { type LiveServer, startServer } from './server.js';

let server: LiveServer;
beforeAll(async () => {
  server = await startServer();
});
// close() verifies the whole ledger.
afterAll(() => server.close());

const card = { type: 'card' as const, number: '4242424242424242' };

describe('billing through the SDK against a real server', () => {
  it('subscribes a holder on a test clock, renews a month later, and reads the invoices and a PDF', async () => {
    const purse = server.client();
    const clock = await purse.test_clocks.create({
      frozen_time: '2027-01-01T00:00:00Z',
      name: 'SDK billing',
    });
    const product = await purse.products.create({ name: 'Analytics' });
    const price = await purse.prices.create({
      product_id: product.id,
      currency: 'USD',
      unit_amount: '10.00',
      recurring: { interval: 'month' },
    });
    const holder = await purse.holders.create({ name: 'Ada', test_clock: clock.id });
    const wallet = await purse.wallets.create({ currency: 'USD', holder_id: holder.id });
    await purse.payments.create({ wallet_id: wallet.id, amount: '30.00', currency: 'USD', source: card });

    const subscription = await purse.subscriptions.create({
      holder_id: holder.id,
      wallet_id: wallet.id,
      items: [{ price_id: price.id }],
    });
    expect(subscription).toMatchObject({
      status: 'active',
      test_clock_id: clock.id,
      current_period_start: '2027-01-01T00:00:00.000Z',
      current_period_end: '2027-02-01T00:00:00.000Z',
    });
    const first_id = subscription.latest_invoice_id ?? '';
    expect((await purse.invoices.retrieve(first_id)).status).toBe('paid');

    const ready = await purse.test_clocks.advanceAndWait(clock.id, '2027-02-02T00:00:00Z', {
      timeout_ms: 20_000,
    });
    expect(ready).toMatchObject({
      status: 'ready',
      frozen_time: '2027-02-02T00:00:00.000Z',
      advancing_to: null,
    });

    const renewed = await purse.subscriptions.retrieve(subscription.id);
    expect(renewed).toMatchObject({ status: 'active', current_period_start: '2027-02-01T00:00:00.000Z' });
    const renewal_id = renewed.latest_invoice_id ?? '';
    expect(renewal_id).not.toBe(first_id);
    const renewal = await purse.invoices.retrieve(renewal_id);
    expect(renewal).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_cycle',
      total: '10.00',
      amount_paid: '10.00',
      amount_due: '0.00',
      period_start: '2027-02-01T00:00:00.000Z',
    });
    expect((await purse.wallets.retrieve(wallet.id)).balance.available).toBe('10.00');

    // The PDF, as bytes: a whole document, not text decoded and re-encoded.
    const pdf = await purse.invoices.pdf(renewal.id);
    expect(pdf).toBeInstanceOf(Uint8Array);
    const text = new TextDecoder('latin1').decode(pdf);
    expect(text.startsWith('%PDF-')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    const missing = await purse.invoices.pdf('inv_00000000000000000000000000').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'resource_not_found' });

    // Iterating walks every page: one invoice a page here, newest first.
    const walked: string[] = [];
    for await (const invoice of purse.invoices.list({ subscription_id: subscription.id, limit: 1 }))
      walked.push(`${invoice.id} ${invoice.billing_reason} ${invoice.status}`);
    expect(walked).toEqual([`${renewal_id} subscription_cycle paid`, `${first_id} subscription_create paid`]);
  });

  it('advanceAndWait gives up after timeout_ms with an ApiError coded timeout', async () => {
    const purse = server.client();
    const clock = await purse.test_clocks.create({ frozen_time: '2027-01-01T00:00:00Z' });
    // An HTTP round trip takes longer than 1 ms, so the deadline has passed before the first poll.
    const error = await purse.test_clocks
      .advanceAndWait(clock.id, '2027-03-01T00:00:00Z', { timeout_ms: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 0, code: 'timeout' });
    // The advance itself goes on, and finishes, on the server.
    let read = await purse.test_clocks.retrieve(clock.id);
    for (let poll = 0; read.status !== 'ready' && poll < 100; poll += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      read = await purse.test_clocks.retrieve(clock.id);
    }
    expect(read).toMatchObject({ status: 'ready', frozen_time: '2027-03-01T00:00:00.000Z' });
  });
});
