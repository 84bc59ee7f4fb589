import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../ledger/verify.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { expectProblem, funded, newWallet, transfer } from '../test-support/money.js';

/**
 * Input that passes the schemas' types but that PostgreSQL or JavaScript cannot take (issue 13,
 * defect 12): each must be a 4xx problem naming the field, never a 500.
 */
let t: TestApp;
let wallet = '';
let other = '';
beforeAll(async () => {
  t = await createTestApp();
  wallet = await funded(t, '100.00');
  other = await newWallet(t);
});
afterAll(() => t.close());

const json = { 'content-type': 'application/json' };

function send(options: InjectOptions): Promise<LightMyRequestResponse> {
  return t.request(options);
}

describe('text PostgreSQL cannot store', () => {
  it('a NUL in a body field, a metadata value or a field name: 400 naming the field', async () => {
    const nul = await send({ method: 'POST', url: '/v1/holders', payload: { name: 'Ada\u0000' } });
    expectProblem(nul, 400, 'invalid_request', 'name');
    expect(nul.json().detail).toMatch(/NUL/);
    const in_metadata = { name: 'Ada', metadata: { note: 'a\u0000b' } };
    expectProblem(
      await send({ method: 'POST', url: '/v1/holders', payload: in_metadata }),
      400,
      'invalid_request',
      'metadata.note',
    );
    const in_key = { name: 'Ada', metadata: { 'no\u0000te': 'x' } };
    expectProblem(
      await send({ method: 'POST', url: '/v1/holders', payload: in_key }),
      400,
      'invalid_request',
      'metadata',
    );
  });

  it('an unpaired surrogate in metadata or any string: 400 naming the field', async () => {
    for (const [payload, param] of [
      ['{"name":"Ada","metadata":{"note":"\\ud800"}}', 'metadata.note'],
      ['{"name":"\\udc00Ada"}', 'name'],
    ] as const) {
      const response = await send({ method: 'POST', url: '/v1/holders', payload, headers: json });
      expectProblem(response, 400, 'invalid_request', param);
      expect(response.json().detail).toMatch(/surrogate/);
    }
    // A paired surrogate is an ordinary character.
    const emoji = await send({ method: 'POST', url: '/v1/holders', payload: { name: 'Ada \u{1F600}' } });
    expect(emoji.statusCode, emoji.body).toBe(201);
  });

  it('a NUL in a path parameter or a query parameter: 400 problem naming it', async () => {
    for (const url of ['/v1/wallets/wal_%00', '/v1/holders/%00', '/v1/events/evt_%00x']) {
      expectProblem(await send({ method: 'GET', url }), 400, 'invalid_request', 'id');
    }
    expectProblem(
      await send({ method: 'POST', url: '/v1/wallets/wal_%00/freeze' }),
      400,
      'invalid_request',
      'id',
    );
    expectProblem(
      await send({ method: 'GET', url: '/v1/wallets?holder_id=hol_%00' }),
      400,
      'invalid_request',
      'holder_id',
    );
  });
});

describe('timestamps', () => {
  const refused = [
    '2016-12-31T23:59:60Z',
    '0000-01-01T00:00:00Z',
    '1969-12-31T23:59:59Z',
    '9999-12-31T23:59:59-01:00',
    '2026-02-29T00:00:00Z',
    '2026-01-01T24:00:00Z',
  ];

  it.each(refused)('%s in a query: 400 naming the parameter', async (at) => {
    const query = encodeURIComponent(at);
    for (const [url, param] of [
      [`/v1/events?created_gte=${query}`, 'created_gte'],
      [`/v1/transfers?created_lt=${query}`, 'created_lt'],
      [`/v1/wallets/${wallet}/balance?at=${query}`, 'at'],
    ] as const) {
      const response = await send({ method: 'GET', url });
      expectProblem(response, 400, 'invalid_request', param);
      expect(response.json().detail).toMatch(/RFC 3339 timestamp from 1970/);
    }
  });

  it.each(refused)('%s in a body: 400 naming the field', async (at) => {
    const hold = { source_wallet_id: wallet, destination_wallet_id: other, amount: '1.00', hold: true };
    expectProblem(await transfer(t, { ...hold, expires_at: at }), 400, 'invalid_request', 'expires_at');
  });

  it('the extremes of the range are accepted', async () => {
    for (const at of ['1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2024-02-29T12:00:00+05:30']) {
      const response = await send({ method: 'GET', url: `/v1/events?created_gte=${encodeURIComponent(at)}` });
      expect(response.statusCode, response.body).toBe(200);
    }
  });
});

describe('event type patterns', () => {
  it('GET /v1/events?type=* lists every event', async () => {
    const response = await send({ method: 'GET', url: '/v1/events?type=*' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().data.length).toBeGreaterThan(0);
  });

  it('replay since a time on an endpoint enabled for *', async () => {
    const endpoint = await send({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      payload: { url: 'http://localhost:4000/hooks', enabled_events: ['*'] },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    const response = await send({
      method: 'POST',
      url: `/v1/webhook_endpoints/${endpoint.json().id}/replay`,
      payload: { since: '2026-01-01T00:00:00Z' },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ object: 'webhook_replay', queued: expect.any(Number) });
  });
});

describe('JSON bodies', () => {
  it.each([
    ['{"name":"Ada","name":"Eve"}', 'name'],
    ['{"name":"Ada","metadata":{"a":"1","b":"2","a":"3"}}', 'metadata.a'],
    ['{"name":"Ada","metadata":{"a":"1"},"x":[{"k":1,"k":2}]}', 'x.0.k'],
    ['{"name":"Ada","n\\u0061me":"Eve"}', 'name'],
  ])('a field given twice (%s): 400 invalid_json naming it, nothing written', async (payload, param) => {
    const before = await t.db.pool.query('SELECT count(*)::int AS n FROM holders');
    const response = await send({ method: 'POST', url: '/v1/holders', payload, headers: json });
    expectProblem(response, 400, 'invalid_json', param);
    const after = await t.db.pool.query('SELECT count(*)::int AS n FROM holders');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('the same name in different objects, and names inside strings, are fine', async () => {
    const payload = '{"name":"a \\"name\\": b","metadata":{"name":"x","k":"{\\"k\\":1,\\"k\\":2}"}}';
    const response = await send({ method: 'POST', url: '/v1/holders', payload, headers: json });
    expect(response.statusCode, response.body).toBe(201);
  });

  it.each(['latin1', 'ISO-8859-1', 'utf-16', '"windows-1252"'])(
    'charset=%s: 415 unsupported_media_type',
    async (charset) => {
      const headers = { 'content-type': `application/json; charset=${charset}` };
      const response = await send({ method: 'POST', url: '/v1/holders', payload: '{"name":"Ada"}', headers });
      expectProblem(response, 415, 'unsupported_media_type');
    },
  );

  it.each(['utf-8', 'UTF-8', '"utf-8"', 'utf8'])('charset=%s is accepted', async (charset) => {
    const headers = { 'content-type': `application/json; charset=${charset}` };
    const response = await send({ method: 'POST', url: '/v1/holders', payload: '{"name":"Ada"}', headers });
    expect(response.statusCode, response.body).toBe(201);
  });
});

describe('amount ceilings', () => {
  const card = { type: 'card', number: '4242424242424242' };
  const pay = (wallet_id: string, amount: string) =>
    send({
      method: 'POST',
      url: '/v1/payments',
      payload: { wallet_id, amount, currency: 'USD', source: card },
    });

  it('an amount above the largest (10^27 minor units): 400 invalid_amount naming it', async () => {
    const target = await newWallet(t);
    for (const amount of ['999999999999999999999999999999999999.99', '10000000000000000000000000.01']) {
      const response = await pay(target, amount);
      expectProblem(response, 400, 'invalid_amount', 'amount');
      expect(response.json().detail).toMatch(/largest amount, 10000000000000000000000000\.00/);
    }
  });

  it('ten maximum-size payments into one wallet: every counter stays in range', async () => {
    const target = await newWallet(t);
    for (let n = 0; n < 10; n += 1) {
      const response = await pay(target, '10000000000000000000000000.00');
      expect(response.statusCode, response.body).toBe(201);
    }
    const balance = await send({ method: 'GET', url: `/v1/wallets/${target}` });
    expect(balance.json().balance.available).toBe('100000000000000000000000000.00');
    expect(await verifyLedger(t.db.pool)).toEqual([]);
  });

  it('the database refuses a balance past 10^30 minor units even if the ledger did not', async () => {
    const target = await newWallet(t);
    const update = t.db.pool.query(
      'UPDATE accounts SET posted_credits = posted_credits + 1e31 WHERE id = $1',
      [target],
    );
    await expect(update).rejects.toMatchObject({ code: '23514', constraint: 'accounts_balance_max' });
  });
});
