import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJson } from '../crypto/keyring.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, getJson, postOk } from '../test-support/money.js';
import { advance, customer, invoicesOf, monthlyPrice } from './test-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** A subscription whose first invoice (10.00) empties its wallet, so its first renewal fails. */
async function subscribedWithEmptyWallet(dunning?: Record<string, unknown>) {
  const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2027-01-01T00:00:00Z' });
  const price = await monthlyPrice(t, '10.00');
  const { holder_id, wallet_id } = await customer(t, '10.00', clock.id);
  const sub = await postOk(t, '/v1/subscriptions', {
    holder_id,
    wallet_id,
    items: [{ price_id: price }],
    ...(dunning === undefined ? {} : { dunning }),
  });
  expect(sub).toMatchObject({ status: 'active', current_period_end: '2027-02-01T00:00:00.000Z' });
  expect((await balanceOf(t, wallet_id)).available).toBe('0.00');
  return { clock_id: clock.id, sub_id: sub.id, wallet_id };
}

/** The events about one object, oldest first, as stored. */
async function eventsOf(object_id: string, type: string) {
  const found = await t.db.pool.query<{ created_at: Date; data: unknown }>(
    'SELECT created_at, data FROM events WHERE object_id = $1 AND type = $2 ORDER BY seq',
    [object_id, type],
  );
  return found.rows.map((row) => ({
    at: row.created_at.toISOString(),
    data: openJson<Record<string, unknown>>('personal', row.data),
  }));
}

async function renewalOf(sub_id: string) {
  const invoices = await invoicesOf(t, sub_id);
  expect(invoices.map((inv) => inv.billing_reason)).toEqual(['subscription_create', 'subscription_cycle']);
  return invoices[1] as Record<string, unknown> & { id: string };
}

describe('dunning through a test clock', () => {
  it('retries 3, 5 and 7 days after each failure, then leaves the subscription unpaid; paying revives it', async () => {
    const { clock_id, sub_id, wallet_id } = await subscribedWithEmptyWallet();
    expect((await getJson(t, `/v1/subscriptions/${sub_id}`)).dunning).toEqual({
      retry_schedule_days: [3, 5, 7],
      final_action: 'unpaid',
    });

    // Each step stops between two attempts: the attempt count and the next attempt say where it is.
    const steps = [
      { to: '2027-02-01T00:00:00Z', attempts: 1, next: '2027-02-04T00:00:00.000Z' },
      { to: '2027-02-08T12:00:00Z', attempts: 2, next: '2027-02-09T00:00:00.000Z' },
      { to: '2027-02-15T23:59:59Z', attempts: 3, next: '2027-02-16T00:00:00.000Z' },
    ];
    for (const step of steps) {
      await advance(t, clock_id, step.to);
      expect((await getJson(t, `/v1/subscriptions/${sub_id}`)).status, step.to).toBe('past_due');
      expect(await renewalOf(sub_id), step.to).toMatchObject({
        status: 'open',
        attempt_count: step.attempts,
        next_payment_attempt: step.next,
        last_failure_code: 'insufficient_funds',
        amount_due: '10.00',
      });
    }
    await advance(t, clock_id, '2027-02-20T00:00:00Z');
    expect((await getJson(t, `/v1/subscriptions/${sub_id}`)).status).toBe('unpaid');
    const given_up = await renewalOf(sub_id);
    expect(given_up).toMatchObject({
      status: 'open',
      attempt_count: 4,
      next_payment_attempt: null,
      amount_due: '10.00',
    });

    // Every attempt failed at its own time, each announced once with its count.
    const failures = await eventsOf(given_up.id, 'invoice.payment_failed');
    expect(failures.map(({ at, data }) => [at, data.attempt_count, data.next_payment_attempt])).toEqual([
      ['2027-02-01T00:00:00.000Z', 1, '2027-02-04T00:00:00.000Z'],
      ['2027-02-04T00:00:00.000Z', 2, '2027-02-09T00:00:00.000Z'],
      ['2027-02-09T00:00:00.000Z', 3, '2027-02-16T00:00:00.000Z'],
      ['2027-02-16T00:00:00.000Z', 4, null],
    ]);
    const updates = await eventsOf(sub_id, 'customer.subscription.updated');
    expect(updates.map(({ data }) => data.status)).toContain('unpaid');
    expect(await eventsOf(sub_id, 'customer.subscription.deleted')).toEqual([]);

    // Unpaid stays put: no more attempts and no renewal while the clock moves on.
    await advance(t, clock_id, '2027-03-05T00:00:00Z');
    expect((await getJson(t, `/v1/subscriptions/${sub_id}`)).status).toBe('unpaid');
    expect((await invoicesOf(t, sub_id)).length).toBe(2);
    expect(await renewalOf(sub_id)).toMatchObject({ status: 'open', attempt_count: 4 });

    await fund(t, wallet_id, '10.00');
    const paid = await postOk(t, `/v1/invoices/${given_up.id}/pay`, {}, 200);
    expect(paid).toMatchObject({ status: 'paid', amount_due: '0.00', amount_paid: '10.00' });
    expect((await getJson(t, `/v1/subscriptions/${sub_id}`)).status).toBe('active');
    expect((await balanceOf(t, wallet_id)).available).toBe('0.00');
    expect((await eventsOf(given_up.id, 'invoice.paid')).length).toBe(1);
  });

  it('with final_action canceled and one retry a day later, ends canceled with the invoice uncollectible', async () => {
    const { clock_id, sub_id, wallet_id } = await subscribedWithEmptyWallet({
      final_action: 'canceled',
      retry_schedule_days: [1],
    });
    await advance(t, clock_id, '2027-02-01T12:00:00Z');
    expect((await getJson(t, `/v1/subscriptions/${sub_id}`)).status).toBe('past_due');
    expect(await renewalOf(sub_id)).toMatchObject({
      status: 'open',
      attempt_count: 1,
      next_payment_attempt: '2027-02-02T00:00:00.000Z',
    });

    await advance(t, clock_id, '2027-02-03T00:00:00Z');
    expect(await getJson(t, `/v1/subscriptions/${sub_id}`)).toMatchObject({
      status: 'canceled',
      canceled_at: '2027-02-02T00:00:00.000Z',
      ended_at: '2027-02-02T00:00:00.000Z',
    });
    const renewal = await renewalOf(sub_id);
    expect(renewal).toMatchObject({
      status: 'uncollectible',
      attempt_count: 2,
      next_payment_attempt: null,
      marked_uncollectible_at: '2027-02-02T00:00:00.000Z',
    });
    const failures = await eventsOf(renewal.id, 'invoice.payment_failed');
    expect(failures.map(({ at, data }) => [at, data.attempt_count])).toEqual([
      ['2027-02-01T00:00:00.000Z', 1],
      ['2027-02-02T00:00:00.000Z', 2],
    ]);
    expect((await eventsOf(renewal.id, 'invoice.marked_uncollectible')).length).toBe(1);
    const deleted = await eventsOf(sub_id, 'customer.subscription.deleted');
    expect(deleted.map(({ at, data }) => [at, data.status])).toEqual([
      ['2027-02-02T00:00:00.000Z', 'canceled'],
    ]);

    // A canceled subscription is never renewed, and a top-up does not collect an uncollectible invoice.
    await fund(t, wallet_id, '10.00');
    await advance(t, clock_id, '2027-03-05T00:00:00Z');
    expect((await invoicesOf(t, sub_id)).length).toBe(2);
    expect((await renewalOf(sub_id)).status).toBe('uncollectible');
    expect((await balanceOf(t, wallet_id)).available).toBe('10.00');
  });
});
