import type { Static } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { funded, newWallet, postOk } from '../test-support/money.js';
import { amountStatement } from './lookups.js';
import type { SearchResults } from './schemas.js';
import { amountsOf } from './service.js';

/** GET /v1/search over real HTTP: what each kind of query finds, for whom, and what it refuses. */

let t: TestApp;
let base: string;
type Body = Static<typeof SearchResults> & { code?: string; param?: string };

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

async function search(q: string, key = t.test_key, extra = ''): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${base}/v1/search?q=${encodeURIComponent(q)}${extra}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return { status: response.status, body: (await response.json()) as Body };
}

async function found(q: string, key = t.test_key): Promise<string[]> {
  const response = await search(q, key);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.data.map((hit) => `${hit.object} ${hit.id}`);
}

describe('search', () => {
  let holder = '';
  let wallet = '';
  let transfer = '';
  let payment = '';
  let payout = '';

  beforeAll(async () => {
    holder = (
      await postOk(t, '/v1/holders', {
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        external_id: 'cus_6735',
      })
    ).id;
    wallet = await newWallet(t, 'USD', { holder_id: holder });
    const payer = await funded(t, '100.00');
    transfer = (
      await postOk(t, '/v1/transfers', {
        source_wallet_id: payer,
        destination_wallet_id: wallet,
        amount: '12.34',
        currency: 'USD',
      })
    ).id;
    // Distinct times, so newest first is one order across kinds (the clock stands still).
    t.clock.advance(1_000);
    payment = (
      await postOk(t, '/v1/payments', {
        wallet_id: wallet,
        amount: '12.34',
        currency: 'USD',
        source: { type: 'card', number: '4242424242424242' },
      })
    ).id;
    const bank = {
      type: 'bank_account',
      account_holder_name: 'Ada Lovelace',
      account_number: '000123456789',
      routing_number: '110000000',
    };
    t.clock.advance(1_000);
    payout = (
      await postOk(t, '/v1/payouts', {
        wallet_id: payer,
        amount: '12.34',
        currency: 'USD',
        destination: bank,
      })
    ).id;
    // The same amount in live mode, never found by a test key.
    const live_payer = await newWallet(t, 'USD', { overdraft_limit: '100.00' }, t.live_key);
    const live = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      key: t.live_key,
      payload: {
        source_wallet_id: live_payer,
        destination_wallet_id: await newWallet(t, 'USD', {}, t.live_key),
        amount: '12.34',
        currency: 'USD',
      },
    });
    expect(live.statusCode, live.body).toBe(201);
  });

  it('finds a holder by id, external id and email, with its name and email opened', async () => {
    for (const q of [holder, 'cus_6735', 'ada@example.com', '  ada@example.com ']) {
      expect(await found(q), q).toEqual([`holder ${holder}`]);
    }
    const { body } = await search('ada@example.com');
    expect(body).toEqual({
      object: 'list',
      has_more: false,
      data: [
        {
          object: 'holder',
          id: holder,
          livemode: false,
          title: 'Ada Lovelace',
          subtitle: 'ada@example.com · cus_6735 · KYC unverified',
          created_at: expect.any(String),
        },
      ],
    });
    expect(await found('ADA@example.com')).toEqual([]);
  });

  it('finds wallets, transfers, payments and payouts by id', async () => {
    expect(await found(wallet)).toEqual([`wallet ${wallet}`]);
    expect(await found(transfer)).toEqual([`transfer ${transfer}`]);
    expect(await found(payment)).toEqual([`payment ${payment}`]);
    expect(await found(payout)).toEqual([`payout ${payout}`]);
    const { body } = await search(transfer);
    expect(body.data[0]).toMatchObject({ title: 'Transfer of 12.34 USD', livemode: false });
    expect(await found('tr_doesnotexist')).toEqual([]);
  });

  it('finds movements by exact amount, newest first, in this mode only', async () => {
    expect(await found('12.34')).toEqual([`payout ${payout}`, `payment ${payment}`, `transfer ${transfer}`]);
    expect(await found('12.340')).toEqual([`payout ${payout}`, `payment ${payment}`, `transfer ${transfer}`]);
    expect(await found('12.35')).toEqual([]);
    const limited = await search('12.34', t.test_key, '&limit=2');
    expect(limited.body.data.map((hit) => hit.id)).toEqual([payout, payment]);
    expect(limited.body.has_more).toBe(true);
  });

  it('answers only the kinds the key can read', async () => {
    const transfers_only = await createKey(t, { scopes: ['transfers:read'] });
    expect(await found('12.34', transfers_only.secret)).toEqual([`transfer ${transfer}`]);
    expect(await found('ada@example.com', transfers_only.secret)).toEqual([]);
    const none = await createKey(t, { scopes: ['assets:read'] });
    const refused = await search('12.34', none.secret);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'insufficient_scope', param: 'holders:read' });
  });

  it('is closed to restricted keys and keys with a spend policy', async () => {
    const restricted = await createKey(t, { scopes: ['*'], restrictions: { wallet_ids: [wallet] } });
    const policy = await createKey(t, {
      scopes: ['*'],
      spend_policy: { limits: [{ currency: 'USD', per_movement_max: '1.00' }] },
    });
    for (const key of [restricted.secret, policy.secret]) {
      const refused = await search(wallet, key);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('key_restricted');
    }
  });

  it('refuses a query too long, empty, or a bad limit, as a problem', async () => {
    for (const [q, extra] of [
      ['x'.repeat(201), ''],
      ['', ''],
      ['12.34', '&limit=0'],
      ['12.34', '&limit=51'],
      ['12.34', '&limit=abc'],
    ] as const) {
      const response = await search(q, t.test_key, extra);
      expect(response.status, `${q.length} ${extra}`).toBe(400);
      expect(response.body.code).toBe('invalid_request');
    }
  });

  it('looks amounts up by index, whatever the statistics say', async () => {
    for (const kind of ['transfer', 'payment', 'payout'] as const) {
      const client = await t.db.pool.connect();
      try {
        // As search runs it (service.ts); the table has never been analyzed (autovacuum is off).
        await client.query('BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off');
        const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${amountStatement(kind)}`, [
          false,
          ['USD'],
          ['1234'],
          21,
        ]);
        const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
        expect(text, kind).toMatch(`Index Scan Backward using ${kind}s_amount`);
        expect(text, kind).not.toMatch(/Sort|Bitmap/);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    }
  });

  it('reads an amount in every asset whose scale can hold it', () => {
    const assets = [
      { code: 'BTC', scale: 8 },
      { code: 'JPY', scale: 0 },
      { code: 'USD', scale: 2 },
    ];
    expect(amountsOf('12.34', assets)).toEqual([
      { asset: 'BTC', amount_minor: 1_234_000_000n },
      { asset: 'USD', amount_minor: 1234n },
    ]);
    expect(amountsOf('7', assets).map((one) => one.amount_minor)).toEqual([700_000_000n, 7n, 700n]);
    for (const q of ['0', '0.00', '1e3', '-1', '12,34', ' 12.34', '012'])
      expect(amountsOf(q, assets), q).toEqual([]);
  });
});
