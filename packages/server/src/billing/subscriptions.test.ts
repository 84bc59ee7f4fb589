import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, fund, getJson, post, postOk } from '../test-support/money.js';
import { advance, customer, invoicesOf, monthlyPrice } from './test-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('a subscription paid from a wallet', () => {
  it('is active at once: the first invoice is paid in the creating request by one ledger entry', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '25.00');
    const revenue = await postOk(t, '/v1/wallets', { currency: 'USD' });
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      revenue_wallet_id: revenue.id,
      items: [{ price_id: price, quantity: 2 }],
    });
    expect(sub.status).toBe('active');
    expect((await balanceOf(t, wallet_id)).available).toBe('5.00');
    expect((await balanceOf(t, revenue.id)).available).toBe('20.00');
    const [invoice] = await invoicesOf(t, sub.id);
    expect(invoice).toMatchObject({
      status: 'paid',
      total: '20.00',
      amount_due: '0.00',
      billing_reason: 'subscription_create',
    });
    expect(invoice?.number).toMatch(/^INV-TEST-\d{6}$/);
    const ledger = await t.db.pool.query('SELECT reason FROM ledger_transactions WHERE reference_id = $1', [
      invoice?.id,
    ]);
    expect(ledger.rows).toEqual([{ reason: 'invoice.paid' }]);
  });

  it('is incomplete with its invoice open when the wallet cannot pay, and nothing moved', async () => {
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '3.00');
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
    expect(sub.status).toBe('incomplete');
    const [invoice] = await invoicesOf(t, sub.id);
    expect(invoice).toMatchObject({
      status: 'open',
      last_failure_code: 'insufficient_funds',
      amount_due: '10.00',
    });
    expect((await balanceOf(t, wallet_id)).available).toBe('3.00');
    await fund(t, wallet_id, '7.00');
    const paid = await postOk(t, `/v1/invoices/${invoice?.id}/pay`, {}, 200);
    expect(paid.status).toBe('paid');
    expect((await getJson(t, `/v1/subscriptions/${sub.id}`)).status).toBe('active');
  });

  it('refuses prices in another currency than the wallet, writing nothing', async () => {
    await postOk(t, '/v1/assets', { code: 'EUR', scale: 2, name: 'Euro' }).catch(() => undefined);
    const price = await monthlyPrice(t, '10.00', {}, 'EUR');
    const { holder_id, wallet_id } = await customer(t, '25.00');
    const before = await t.db.pool.query('SELECT count(*) FROM subscriptions');
    const refused = await post(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: price }],
    });
    expectProblem(refused, 400, 'price_mismatch', 'wallet_id');
    expect(await t.db.pool.query('SELECT count(*) FROM subscriptions')).toMatchObject({ rows: before.rows });
  });
});

describe('a SaaS month through a test clock', () => {
  it('trial, renewal, failed renewal, top-up retry', async () => {
    const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' });
    const price = await monthlyPrice(t, '10.00');
    const { holder_id, wallet_id } = await customer(t, '15.00', clock.id);
    const sub = await postOk(t, '/v1/subscriptions', {
      holder_id,
      wallet_id,
      items: [{ price_id: price }],
      trial_end: '2027-01-15T00:00:00Z',
    });
    expect(sub).toMatchObject({ status: 'trialing', current_period_end: '2027-01-15T00:00:00.000Z' });
    await advance(t, clock.id, '2027-01-16T00:00:00Z');
    const renewed = await getJson(t, `/v1/subscriptions/${sub.id}`);
    expect(renewed).toMatchObject({ status: 'active', current_period_end: '2027-02-15T00:00:00.000Z' });
    expect((await balanceOf(t, wallet_id)).available).toBe('5.00');
    await advance(t, clock.id, '2027-02-16T00:00:00Z');
    expect((await getJson(t, `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
    const failed = (await invoicesOf(t, sub.id)).at(-1);
    expect(failed).toMatchObject({
      status: 'open',
      attempt_count: 1,
      next_payment_attempt: '2027-02-18T00:00:00.000Z',
    });
    await fund(t, wallet_id, '5.00');
    await advance(t, clock.id, '2027-02-16T00:00:01Z');
    expect((await getJson(t, `/v1/subscriptions/${sub.id}`)).status).toBe('active');
    expect((await balanceOf(t, wallet_id)).available).toBe('0.00');
  });
});
