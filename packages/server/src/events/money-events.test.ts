import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { advanceAndRunJobs } from '../test-support/jobs.js';
import { funded, getJson, newWallet, post, postOk } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** The types of the events about an object, oldest first, with the status each carried. */
async function eventsOf(object_id: string): Promise<string[]> {
  const page = await getJson(t, `/v1/events?object_id=${object_id}&limit=100`);
  return (page.data as { type: string; data: { object: { status?: string } } }[])
    .map((event) => `${event.type}:${event.data.object.status ?? ''}`)
    .reverse();
}

const bank = { type: 'bank_account', account_number: '000123456789', routing_number: '110000000' };

describe('events of money in and out', () => {
  it('payments: processing, succeeded, settled; failed', async () => {
    const wallet = await newWallet(t, 'USD', { settlement_delay_days: 1 });
    const payment = await postOk(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '5.00',
      currency: 'USD',
      source: bank,
    });
    await advanceAndRunJobs(t, t.config.rails.sandbox_step_ms);
    await postOk(t, `/v1/test_helpers/wallets/${wallet}/settle`, undefined, 200);
    expect(await eventsOf(payment.id)).toEqual([
      'payment.processing:processing',
      'payment.succeeded:succeeded',
      'payment.settled:succeeded',
    ]);
    const declined = await postOk(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '5.00',
      currency: 'USD',
      source: { type: 'card', number: '4000000000000002' },
    });
    expect(await eventsOf(declined.id)).toEqual(['payment.failed:failed']);
  });

  it('refunds and payouts, including a return reported twice', async () => {
    const wallet = await funded(t, '50.00');
    const payment = ((await getJson(t, `/v1/payments?wallet_id=${wallet}`)).data as { id: string }[])[0];
    const refund = await postOk(t, '/v1/refunds', { payment_id: payment?.id, amount: '5.00' });
    expect(await eventsOf(refund.id)).toEqual(['refund.created:succeeded', 'refund.succeeded:succeeded']);
    const destination = { ...bank, account_number: '000333333335', account_holder_name: 'R' };
    const payout = await postOk(t, '/v1/payouts', {
      wallet_id: wallet,
      amount: '10.00',
      currency: 'USD',
      destination,
    });
    await advanceAndRunJobs(t, 3 * t.config.rails.sandbox_step_ms);
    await post(t, `/v1/test_helpers/payouts/${payout.id}/return`);
    expect(await eventsOf(payout.id)).toEqual([
      'payout.created:pending',
      'payout.in_transit:in_transit',
      'payout.paid:paid',
      'payout.returned:returned',
    ]);
  });

  it('escrows: created, released, disputed, resolved', async () => {
    const payer = await funded(t, '30.00');
    const payee = await newWallet(t);
    const escrow = await postOk(t, '/v1/escrows', {
      payer_wallet_id: payer,
      payee_wallet_id: payee,
      amount: '30.00',
      currency: 'USD',
    });
    await postOk(t, `/v1/escrows/${escrow.id}/release`, { amount: '10.00' }, 200);
    await postOk(t, `/v1/escrows/${escrow.id}/dispute`, { reason: 'late' }, 200);
    await postOk(t, `/v1/escrows/${escrow.id}/resolve`, { outcome: 'refund' }, 200);
    expect(await eventsOf(escrow.id)).toEqual([
      'escrow.created:held',
      'escrow.released:held',
      'escrow.disputed:disputed',
      'escrow.resolved:canceled',
    ]);
  });

  it('a refused request writes no event', async () => {
    const before = ((await getJson(t, '/v1/events?limit=1')).data as { id: string }[])[0]?.id;
    const wallet = await newWallet(t);
    const after_wallet = ((await getJson(t, '/v1/events?limit=1')).data as { id: string }[])[0]?.id;
    expect(after_wallet).not.toBe(before);
    const refused = await post(t, '/v1/payouts', {
      wallet_id: wallet,
      amount: '1.00',
      currency: 'USD',
      destination: { ...bank, account_holder_name: 'X' },
    });
    expect(refused.statusCode).toBe(402);
    expect(((await getJson(t, '/v1/events?limit=1')).data as { id: string }[])[0]?.id).toBe(after_wallet);
  });
});
