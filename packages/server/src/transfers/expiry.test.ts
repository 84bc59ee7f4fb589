import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../db/pool.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, newWallet, transfer, usd } from '../test-support/money.js';
import { expireHolds } from './service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

function runWorker(now: Date, limit = 100): Promise<number> {
  return inTransaction(t.db.pool, (client) => expireHolds(client, now, limit));
}

async function hold(source: string, destination: string, amount: string, ahead_ms: number, extra = {}) {
  const response = await transfer(t, {
    source_wallet_id: source,
    destination_wallet_id: destination,
    amount,
    hold: true,
    expires_at: new Date(t.clock.now().getTime() + ahead_ms).toISOString(),
    ...extra,
  });
  expect(response.statusCode, response.body).toBe(201);
  expect(response.json().status).toBe('pending');
  return response.json() as { id: string; expires_at: string };
}

function getTransfer(id: string) {
  return t.request({ method: 'GET', url: `/v1/transfers/${id}` });
}

function post(url: string, payload?: Record<string, unknown>) {
  return t.request({ method: 'POST', url, ...(payload === undefined ? {} : { payload }) });
}

describe('hold expiry', () => {
  it('voids holds past expires_at as expired, and leaves the others alone', async () => {
    const a = await newWallet(t);
    const b = await newWallet(t);
    const c = await newWallet(t);
    await fund(t, a, '100.00');
    const soon = await hold(a, b, '30.00', 60_000);
    const later = await hold(a, c, '20.00', 3_600_000);
    const posted = await transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '5.00' });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(await balanceOf(t, a)).toEqual(usd('45.00', '50.00', '0.00', '95.00'));
    expect(await balanceOf(t, b)).toEqual(usd('5.00', '0.00', '30.00', '35.00'));

    // Not yet due: nothing happens.
    expect(await runWorker(new Date(t.clock.now().getTime() + 59_000))).toBe(0);
    expect((await getTransfer(soon.id)).json().status).toBe('pending');

    t.clock.advance(120_000);
    expect(await runWorker(t.clock.now())).toBe(1);

    const expired = await getTransfer(soon.id);
    expect(expired.statusCode, expired.body).toBe(200);
    expect(expired.json()).toMatchObject({
      status: 'expired',
      amount: '30.00',
      captured_amount: null,
      expires_at: soon.expires_at,
      updated_at: t.clock.now().toISOString(),
    });
    expect((await getTransfer(later.id)).json()).toMatchObject({ status: 'pending', captured_amount: null });
    expect((await getTransfer(posted.json().id)).json().status).toBe('posted');
    expect(await balanceOf(t, a)).toEqual(usd('75.00', '20.00', '0.00', '95.00'));
    expect(await balanceOf(t, b)).toEqual(usd('5.00'));
    expect(await balanceOf(t, c)).toEqual(usd('0.00', '0.00', '20.00', '20.00'));

    // The release is in the ledger, under its own reason.
    const postings = (await t.request({ method: 'GET', url: `/v1/wallets/${a}/transactions` })).json().data;
    expect(postings[0]).toMatchObject({
      reason: 'transfer.expired',
      reference_id: soon.id,
      side: 'debit',
      layer: 'pending',
      release: true,
      amount: '30.00',
      balance_after: usd('75.00', '20.00', '0.00', '95.00'),
    });

    // Running again finds nothing more to do.
    expect(await runWorker(t.clock.now())).toBe(0);
    expect(await balanceOf(t, a)).toEqual(usd('75.00', '20.00', '0.00', '95.00'));

    // The freed funds are spendable, and the expired hold can be neither captured nor voided.
    const spend = await transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '75.00' });
    expect(spend.statusCode, spend.body).toBe(201);
    for (const action of ['capture', 'void']) {
      const response = await post(`/v1/transfers/${soon.id}/${action}`);
      expect(response.statusCode, response.body).toBe(409);
      expect(response.json().code).toBe('hold_not_pending');
    }

    // The other hold still captures normally.
    const captured = await post(`/v1/transfers/${later.id}/capture`);
    expect(captured.statusCode, captured.body).toBe(200);
    expect(captured.json()).toMatchObject({ status: 'posted', captured_amount: '20.00' });
    expect(await balanceOf(t, a)).toEqual(usd('0.00'));
    expect(await balanceOf(t, c)).toEqual(usd('20.00'));
  });

  it('refuses a capture after expiry even before the worker ran, then the worker expires it', async () => {
    const a = await newWallet(t);
    const b = await newWallet(t);
    await fund(t, a, '10.00');
    const held = await hold(a, b, '10.00', 60_000);
    t.clock.advance(60_000);
    // expires_at itself is already too late.
    const at_expiry = await post(`/v1/transfers/${held.id}/capture`);
    expect(at_expiry.statusCode, at_expiry.body).toBe(409);
    expect(at_expiry.json()).toMatchObject({ code: 'hold_expired', status: 409 });
    t.clock.advance(60_000);
    const partial = await post(`/v1/transfers/${held.id}/capture`, { amount: '1.00' });
    expect(partial.statusCode, partial.body).toBe(409);
    expect(partial.json().code).toBe('hold_expired');
    expect((await getTransfer(held.id)).json().status).toBe('pending');
    expect(await balanceOf(t, a)).toEqual(usd('0.00', '10.00', '0.00', '10.00'));
    expect(await balanceOf(t, b)).toEqual(usd('0.00', '0.00', '10.00', '10.00'));

    expect(await runWorker(t.clock.now())).toBe(1);
    expect((await getTransfer(held.id)).json().status).toBe('expired');
    expect(await balanceOf(t, a)).toEqual(usd('10.00'));
    expect(await balanceOf(t, b)).toEqual(usd('0.00'));
  });

  it('captures just before expires_at', async () => {
    const a = await newWallet(t);
    const b = await newWallet(t);
    await fund(t, a, '10.00');
    const held = await hold(a, b, '10.00', 60_000);
    t.clock.advance(59_999);
    const captured = await post(`/v1/transfers/${held.id}/capture`, { amount: '4.00' });
    expect(captured.statusCode, captured.body).toBe(200);
    t.clock.advance(60_000);
    expect(await runWorker(t.clock.now())).toBe(0);
    expect((await getTransfer(held.id)).json()).toMatchObject({ status: 'posted', captured_amount: '4.00' });
    expect(await balanceOf(t, a)).toEqual(usd('6.00'));
    expect(await balanceOf(t, b)).toEqual(usd('4.00'));
  });

  it('expires holds with fees and splits, and holds from or to frozen wallets', async () => {
    const a = await newWallet(t);
    const b = await newWallet(t);
    const c = await newWallet(t);
    const fees = await newWallet(t);
    await fund(t, a, '100.00');
    const split = await hold(a, b, '50.00', 60_000, {
      destination_wallet_id: undefined,
      fee: { amount: '2.00', wallet_id: fees },
      destinations: [
        { wallet_id: b, percent: '25' },
        { wallet_id: c, remainder: true },
      ],
    });
    const frozen_source = await hold(a, c, '10.00', 60_000);
    expect(await balanceOf(t, a)).toEqual(usd('40.00', '60.00', '0.00', '100.00'));
    expect(await balanceOf(t, fees)).toEqual(usd('0.00', '0.00', '2.00', '2.00'));
    expect((await post(`/v1/wallets/${a}/freeze`)).statusCode).toBe(200);
    expect((await post(`/v1/wallets/${c}/freeze`)).statusCode).toBe(200);

    t.clock.advance(61_000);
    expect(await runWorker(t.clock.now())).toBe(2);
    for (const id of [split.id, frozen_source.id])
      expect((await getTransfer(id)).json().status).toBe('expired');
    expect(await balanceOf(t, a)).toEqual(usd('100.00'));
    for (const wallet of [b, c, fees]) expect(await balanceOf(t, wallet)).toEqual(usd('0.00'));
  });

  it('handles at most `limit` holds per run, oldest expiry first', async () => {
    const a = await newWallet(t);
    const b = await newWallet(t);
    await fund(t, a, '10.00');
    const third = await hold(a, b, '1.00', 180_000);
    const first = await hold(a, b, '1.00', 60_000);
    const second = await hold(a, b, '1.00', 120_000);
    t.clock.advance(200_000);
    expect(await runWorker(t.clock.now(), 2)).toBe(2);
    expect((await getTransfer(first.id)).json().status).toBe('expired');
    expect((await getTransfer(second.id)).json().status).toBe('expired');
    expect((await getTransfer(third.id)).json().status).toBe('pending');
    expect(await runWorker(t.clock.now(), 2)).toBe(1);
    expect((await getTransfer(third.id)).json().status).toBe('expired');
    expect(await balanceOf(t, a)).toEqual(usd('10.00'));
  });

  it('defaults a hold to expire in 7 days', async () => {
    const a = await newWallet(t);
    const b = await newWallet(t);
    await fund(t, a, '10.00');
    const response = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '1.00',
      hold: true,
    });
    expect(response.statusCode, response.body).toBe(201);
    const seven_days = new Date(t.clock.now().getTime() + 7 * 86_400_000);
    expect(response.json().expires_at).toBe(seven_days.toISOString());
    expect(await runWorker(new Date(seven_days.getTime() - 1))).toBe(0);
    expect(await runWorker(seven_days)).toBe(1);
    expect((await getTransfer(response.json().id)).json().status).toBe('expired');
    expect(await balanceOf(t, a)).toEqual(usd('10.00'));
  });
});
