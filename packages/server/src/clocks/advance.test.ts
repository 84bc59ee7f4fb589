import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advance } from '../billing/test-support.js';
import { inTransaction } from '../db/pool.js';
import { settleDueEscrows } from '../escrows/auto.js';
import { settleDuePayments } from '../payments/lifecycle.js';
import { runDueSchedules } from '../payouts/schedules.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, fund, getJson, newWallet, post, postOk } from '../test-support/money.js';
import { expireHolds } from '../transfers/service.js';

/**
 * Every timed feature obeys a holder's test clock: its deadline is set in the clock's time, the
 * worker's real-time rounds leave it alone, and advancing the clock runs it.
 */

let t: TestApp;
let clock: string;
let wallet: string;
const start = '2027-06-01T00:00:00.000Z';
const day_ms = 86_400_000;
const later = (days: number) => new Date(Date.parse(start) + days * day_ms).toISOString();

beforeAll(async () => {
  t = await createTestApp();
  clock = (await postOk(t, '/v1/test_clocks', { frozen_time: start })).id;
  const holder = await postOk(t, '/v1/holders', { name: 'Clocked', test_clock: clock });
  wallet = await newWallet(t, 'USD', { holder_id: holder.id });
  await fund(t, wallet, '100.00');
});
afterAll(() => t.close());

/** What the real-time worker does, a year past the clock: none of it may touch the clock's holders. */
async function workerRoundsFarAhead(): Promise<number> {
  const now = new Date(Date.parse(start) + 365 * day_ms);
  const pool = t.db.pool;
  return (
    (await inTransaction(pool, (db) => expireHolds(db, now, 100))) +
    (await inTransaction(pool, (db) => settleDuePayments(db, now, 100))) +
    (await settleDueEscrows(pool, now, 100)) +
    (await runDueSchedules({ pool, limits: t.config.limits, rails: t.config.rails, now }, 100))
  );
}

describe("timed features in a holder's test clock", () => {
  it('a hold expires by the clock: placed at its time, left alone by real time, expired by the advance', async () => {
    const hold = await postOk(t, '/v1/transfers', {
      source_wallet_id: wallet,
      destination_wallet_id: await newWallet(t),
      amount: '10.00',
      currency: 'USD',
      hold: true,
    });
    expect(hold.expires_at).toBe(later(7));
    expect(await workerRoundsFarAhead()).toBe(0);
    await advance(t, clock, later(6));
    expect((await getJson(t, `/v1/transfers/${hold.id}`)).status).toBe('pending');
    await advance(t, clock, later(8));
    expect((await getJson(t, `/v1/transfers/${hold.id}`)).status).toBe('expired');
  });

  it('a settlement delay counts days of the clock', async () => {
    const holder = await postOk(t, '/v1/holders', { name: 'Delayed', test_clock: clock });
    const delayed = await newWallet(t, 'USD', { holder_id: holder.id, settlement_delay_days: 2 });
    await fund(t, delayed, '30.00');
    expect((await balanceOf(t, delayed)).pending).toBe('30.00');
    expect(await workerRoundsFarAhead()).toBe(0);
    const now = (await getJson(t, `/v1/test_clocks/${clock}`)).frozen_time as string;
    await advance(t, clock, new Date(Date.parse(now) + 3 * day_ms).toISOString());
    expect(await balanceOf(t, delayed)).toMatchObject({ available: '30.00', pending: '0.00' });
  });

  it("an escrow's automatic release date is in the clock's time", async () => {
    const now = Date.parse((await getJson(t, `/v1/test_clocks/${clock}`)).frozen_time as string);
    const payee = await newWallet(t);
    const escrow = await postOk(t, '/v1/escrows', {
      payer_wallet_id: wallet,
      payee_wallet_id: payee,
      amount: '5.00',
      currency: 'USD',
      auto_release_at: new Date(now + 5 * day_ms).toISOString(),
    });
    expect(await workerRoundsFarAhead()).toBe(0);
    await advance(t, clock, new Date(now + 6 * day_ms).toISOString());
    expect((await getJson(t, `/v1/escrows/${escrow.id}`)).status).toBe('released');
    expect((await balanceOf(t, payee)).available).toBe('5.00');
  });

  it("a payout schedule runs on the clock's days", async () => {
    const now = Date.parse((await getJson(t, `/v1/test_clocks/${clock}`)).frozen_time as string);
    await postOk(
      t,
      `/v1/wallets/${wallet}/payout_schedule`,
      {
        interval: 'daily',
        destination: {
          type: 'bank_account',
          account_holder_name: 'Clocked',
          account_number: '000123456789',
          routing_number: '110000000',
        },
      },
      200,
    );
    expect(await workerRoundsFarAhead()).toBe(0);
    const before = (await balanceOf(t, wallet)).available;
    await advance(t, clock, new Date(now + 2 * day_ms).toISOString());
    expect((await balanceOf(t, wallet)).available).toBe('0.00');
    expect(before).not.toBe('0.00');
  });

  it('refuses to advance backwards, twice at once, or in live mode', async () => {
    expectProblem(
      await post(t, `/v1/test_clocks/${clock}/advance`, { frozen_time: start }),
      400,
      'invalid_request',
      'frozen_time',
    );
    const live = await t.request({
      method: 'POST',
      url: `/v1/test_clocks/${clock}/advance`,
      key: t.live_key,
      payload: { frozen_time: later(400) },
    });
    expectProblem(live, 403, 'test_mode_only');
    expectProblem(
      await t.request({
        method: 'POST',
        url: '/v1/holders',
        key: t.live_key,
        payload: { test_clock: clock },
      }),
      403,
      'test_mode_only',
      'test_clock',
    );
  });
});
