import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, getJson, postOk } from '../test-support/money.js';
import { advance, customer, invoicesOf, monthlyPrice } from './test-support.js';

/**
 * Retries that must end: each case below once left a test clock `advancing` for good (and, in
 * real time, made every tick of the worker's billing run fail or retry the same charge again).
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** A subscription paying 10.00 into `revenue`, whose first renewal (1 February) fails. */
async function pastDue(revenue_wallet_id?: string) {
  const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' });
  const price = await monthlyPrice(t, '10.00');
  const { holder_id, wallet_id } = await customer(t, '10.00', clock.id);
  const sub = await postOk(t, '/v1/subscriptions', {
    holder_id,
    wallet_id,
    items: [{ price_id: price }],
    ...(revenue_wallet_id === undefined ? {} : { revenue_wallet_id }),
  });
  await advance(t, clock.id, '2027-02-02T00:00:00Z');
  expect((await getJson(t, `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
  return { clock_id: clock.id, sub_id: sub.id, wallet_id };
}

describe('retries', () => {
  it("of a paused subscription's invoice keep it paused, on schedule, to the end", async () => {
    // A failed retry made the subscription past_due with paused_at still set, which the
    // database refuses: the retry's transaction rolled back, and the clock never got ready.
    const { clock_id, sub_id } = await pastDue();
    expect((await postOk(t, `/v1/subscriptions/${sub_id}/pause`, {}, 200)).status).toBe('paused');
    await advance(t, clock_id, '2027-02-05T00:00:00Z');
    expect((await getJson(t, `/v1/subscriptions/${sub_id}`)).status).toBe('paused');
    expect((await invoicesOf(t, sub_id)).at(-1)).toMatchObject({
      status: 'open',
      attempt_count: 2,
      next_payment_attempt: '2027-02-09T00:00:00.000Z',
    });
    await advance(t, clock_id, '2027-03-01T00:00:00Z');
    expect((await getJson(t, `/v1/subscriptions/${sub_id}`)).status).toBe('paused');
    expect((await invoicesOf(t, sub_id)).at(-1)).toMatchObject({
      status: 'open',
      attempt_count: 4,
      next_payment_attempt: null,
    });
  });

  it('after a top-up are tried once: a charge refused for another reason waits for its schedule', async () => {
    // The wallet holds enough, but the revenue wallet is frozen: the top-up retry was made again
    // at once, and again, hundreds of attempts without end.
    const revenue = await postOk(t, '/v1/wallets', { currency: 'USD' });
    const { clock_id, sub_id, wallet_id } = await pastDue(revenue.id);
    await postOk(t, `/v1/wallets/${revenue.id}/freeze`, {}, 200);
    await fund(t, wallet_id, '10.00');
    await advance(t, clock_id, '2027-02-02T00:00:01Z');
    expect((await invoicesOf(t, sub_id)).at(-1)).toMatchObject({
      status: 'open',
      attempt_count: 2,
      last_failure_code: 'wallet_frozen',
      next_payment_attempt: '2027-02-07T00:00:01.000Z',
    });
    // Once the revenue wallet takes money again, the scheduled retry collects it.
    await postOk(t, `/v1/wallets/${revenue.id}/unfreeze`, {}, 200);
    await advance(t, clock_id, '2027-02-08T00:00:00Z');
    expect((await invoicesOf(t, sub_id)).at(-1)).toMatchObject({ status: 'paid', attempt_count: 3 });
    expect((await getJson(t, `/v1/subscriptions/${sub_id}`)).status).toBe('active');
    expect((await balanceOf(t, revenue.id)).available).toBe('20.00');
  });
});
