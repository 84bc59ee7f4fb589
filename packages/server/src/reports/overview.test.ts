import type { Static } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequenceEvents } from '../events/sequencer.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { funded, newWallet, postOk } from '../test-support/money.js';
import type { Overview } from './overview-schemas.js';
import { foldEvents } from './rollups.js';

/**
 * GET /v1/reports/overview over real HTTP against the test's own transfers, payments and payouts:
 * totals per day and currency, whether folded, sequenced but not folded, or not even sequenced;
 * a row committed late with an older created_at; the other mode; bad input; restricted keys.
 */

let t: TestApp;
let base: string;
const day_ms = 86_400_000;
/** The report, or a problem: each test reads the fields its status promises. */
type Body = Static<typeof Overview> & { code?: string };

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

async function get(url: string, key = t.test_key): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as Body };
}

async function overview(days = 30, key = t.test_key) {
  const response = await get(`/v1/reports/overview?days=${days}`, key);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

async function sequenceAndFold(): Promise<void> {
  await sequenceEvents(t.db.pool, 1_000, t.clock.now());
  await foldEvents(t.db.pool, 3, 1_000);
}

function dayOf(offset_days: number): string {
  return new Date(t.clock.now().getTime() + offset_days * day_ms).toISOString().slice(0, 10);
}

async function move(source: string, destination: string, amount: string, currency = 'USD', key?: string) {
  const response = await t.request({
    method: 'POST',
    url: '/v1/transfers',
    payload: { source_wallet_id: source, destination_wallet_id: destination, amount, currency },
    ...(key === undefined ? {} : { key }),
  });
  expect(response.statusCode, response.body).toBe(201);
}

async function payout(wallet_id: string, amount: string, outcome: 'pay' | 'fail'): Promise<void> {
  const bank = {
    type: 'bank_account',
    account_holder_name: 'Ada',
    account_number: '000123456789',
    routing_number: '110000000',
  };
  const created = await postOk(t, '/v1/payouts', { wallet_id, amount, currency: 'USD', destination: bank });
  await postOk(t, `/v1/test_helpers/payouts/${created.id}/${outcome}`, undefined, 200);
}

describe('the overview report', () => {
  let payer = '';
  let payee = '';

  beforeAll(async () => {
    payer = await funded(t, '100.00');
    payee = await newWallet(t);
    const declined = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: {
        wallet_id: payee,
        amount: '5.00',
        currency: 'USD',
        source: { type: 'card', number: '4000000000000002' },
      },
    });
    expect(declined.statusCode, declined.body).toBeLessThan(500);
    await move(payer, payee, '10.00');
    await move(payer, payee, '2.50');
    const hold = await postOk(t, '/v1/transfers', {
      source_wallet_id: payer,
      destination_wallet_id: payee,
      amount: '5.00',
      currency: 'USD',
      hold: true,
    });
    await postOk(t, `/v1/transfers/${hold.id}/capture`, { amount: '3.00' }, 200);
    const euros = await funded(t, '50.00', 'EUR');
    await move(euros, await newWallet(t, 'EUR'), '1.00', 'EUR');
    await payout(payer, '4.00', 'pay');
    await payout(payer, '1.00', 'fail');
    // Live mode's money, which a test key must never see.
    const live_payer = await newWallet(t, 'USD', { overdraft_limit: '1000.00' }, t.live_key);
    await move(live_payer, await newWallet(t, 'USD', {}, t.live_key), '7.00', 'USD', t.live_key);
  });

  const today_usd = { currency: 'USD', count: 3, amount: '15.50' };

  it('counts what is not even sequenced yet, then the same once folded', async () => {
    const before = await overview();
    expect(before.volume).toEqual([
      { date: dayOf(0), currency: 'EUR', count: 1, amount: '1.00' },
      { date: dayOf(0), ...today_usd },
    ]);
    await sequenceAndFold();
    const after = await overview();
    expect({ ...after, generated_at: null, latency: null }).toEqual({
      ...before,
      generated_at: null,
      latency: null,
    });
    const folded = await t.db.pool.query("SELECT position FROM rollup_cursors WHERE name = 'overview'");
    expect(Number(folded.rows[0].position)).toBeGreaterThan(0);
  });

  it('has the contract shape, with totals per day and currency of this mode only', async () => {
    const body = await overview(7);
    expect(body).toMatchObject({
      object: 'overview',
      livemode: false,
      days: 7,
      from: dayOf(-6),
      to: dayOf(0),
      payments: [{ date: dayOf(0), succeeded: 2, failed: 1 }],
      payouts: [{ date: dayOf(0), paid: 1, failed: 1 }],
      failure_rates: { payments: '0.3333', payouts: '0.5000' },
      balances: [
        { currency: 'EUR', amount: '50.00' },
        { currency: 'USD', amount: '96.00' },
      ],
      webhooks: { delivered: 0, failed: 0, success_rate: '0.0000' },
    });
    const { p50_ms, p99_ms } = body.latency;
    expect(p50_ms).toBeGreaterThan(0);
    expect(p99_ms).toBeGreaterThanOrEqual(p50_ms ?? Number.POSITIVE_INFINITY);
    const live = await overview(7, t.live_key);
    expect(live.volume).toEqual([{ date: dayOf(0), currency: 'USD', count: 1, amount: '7.00' }]);
    expect(live.payments).toEqual([]);
    expect(live.balances).toEqual([]);
  });

  it('sums balances from the system accounts to what the wallets hold', async () => {
    const wallets = await t.db.pool.query<{ asset: string; held: string }>(
      `SELECT asset, sum(posted_credits - posted_debits)::text AS held FROM accounts
       WHERE livemode = false AND kind = 'wallet' GROUP BY asset ORDER BY asset`,
    );
    expect(wallets.rows).toEqual([
      { asset: 'EUR', held: '5000' },
      { asset: 'USD', held: '9600' },
    ]);
  });

  it('counts a row committed after the fold ran, with an older created_at, on its own day', async () => {
    await sequenceAndFold();
    t.clock.advance(-day_ms);
    await move(payer, payee, '1.25');
    t.clock.advance(day_ms);
    const yesterday = { date: dayOf(-1), currency: 'USD', count: 1, amount: '1.25' };
    expect((await overview()).volume).toContainEqual(yesterday);
    await sequenceEvents(t.db.pool, 1_000, t.clock.now());
    expect((await overview()).volume).toContainEqual(yesterday);
    await foldEvents(t.db.pool, 1_000, 10);
    const body = await overview();
    expect(body.volume).toEqual([
      yesterday,
      { date: dayOf(0), currency: 'EUR', count: 1, amount: '1.00' },
      { date: dayOf(0), ...today_usd },
    ]);
    const rollup = await t.db.pool.query(
      "SELECT count::text, amount::text FROM daily_rollups WHERE livemode = false AND day = $1 AND metric = 'transfer_volume'",
      [dayOf(-1)],
    );
    expect(rollup.rows).toEqual([{ count: '1', amount: '125' }]);
    expect((await overview(1)).volume).not.toContainEqual(yesterday);
  });

  it('counts webhook deliveries of the window that succeeded or failed, of its mode', async () => {
    await postOk(t, '/v1/webhook_endpoints', { url: 'https://example.com/hook', enabled_events: ['*'] });
    await move(payer, payee, '0.50');
    await sequenceAndFold();
    const deliveries = await t.db.pool.query<{ id: string }>('SELECT id FROM webhook_deliveries ORDER BY id');
    expect(deliveries.rows.length).toBeGreaterThan(0);
    // What the delivery runner records when an attempt ends for good (webhooks/ tests send them).
    const [failed, ...delivered] = deliveries.rows.map((row) => row.id);
    await t.db.pool.query(
      "UPDATE webhook_deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE id = ANY($1)",
      [delivered],
    );
    await t.db.pool.query(
      "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE id = $1",
      [failed],
    );
    const all = delivered.length + 1;
    const rate = (Math.round((delivered.length / all) * 10_000) / 10_000).toFixed(4);
    expect((await overview()).webhooks).toEqual({
      delivered: delivered.length,
      failed: 1,
      success_rate: rate,
    });
    expect((await overview(30, t.live_key)).webhooks).toEqual({
      delivered: 0,
      failed: 0,
      success_rate: '0.0000',
    });
  });

  it('refuses bad input with a problem', async () => {
    for (const days of ['0', '367', 'abc', '1.5', '-1']) {
      const response = await get(`/v1/reports/overview?days=${days}`);
      expect(response.status, days).toBe(400);
      expect(response.body.code).toBe('invalid_request');
    }
  });

  it('is closed to restricted keys and to keys without reports:read', async () => {
    const restricted = await createKey(t, {
      scopes: ['reports:read'],
      restrictions: { wallet_ids: [payer] },
    });
    const refused = await get('/v1/reports/overview', restricted.secret);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('key_restricted');
    const unscoped = await createKey(t, { scopes: ['transfers:read'] });
    const lacking = await get('/v1/reports/overview', unscoped.secret);
    expect(lacking.status).toBe(403);
    expect(lacking.body.code).toBe('insufficient_scope');
  });
});
