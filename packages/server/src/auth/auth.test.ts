import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open } from '../crypto/keyring.js';
import { createTestApp, type TestApp } from '../test-support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface ApiKey {
  id: string;
  object: string;
  livemode: boolean;
  name: string;
  redacted_secret: string;
  scopes: string[];
  api_version: string;
  expires_at: string | null;
  revoked_at: string | null;
  secret?: string;
}

type Key = string | null | undefined;

function send(
  method: 'GET' | 'POST',
  url: string,
  key: Key,
  payload?: object,
): Promise<LightMyRequestResponse> {
  return t.request({
    method,
    url,
    ...(key === undefined ? {} : { key }),
    ...(payload === undefined ? {} : { payload }),
  });
}

async function createKey(payload: object, key?: string): Promise<ApiKey & { secret: string }> {
  const response = await send('POST', '/v1/api_keys', key, payload);
  expect(response.statusCode, response.body).toBe(201);
  const created = response.json<ApiKey>();
  expect(created.secret).toEqual(expect.any(String));
  return { ...created, secret: created.secret ?? '' };
}

async function count(table: 'holders' | 'api_keys'): Promise<number> {
  const result = await t.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return result.rows[0]?.n ?? -1;
}

function expectProblem(response: LightMyRequestResponse, status: number, code: string, param?: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.headers['request-id']).toMatch(/^req_/);
  const body = response.json<{ status: number; code: string; param?: string; request_id: string }>();
  expect(body).toMatchObject({ status, code, request_id: response.headers['request-id'] });
  if (param !== undefined) expect(body.param).toBe(param);
}

const unknown_secret = `sk_test_${'a'.repeat(43)}`;

describe('authentication failures are 401 problems', () => {
  it('requires an Authorization header', async () => {
    expectProblem(await send('GET', '/v1/holders', null), 401, 'authentication_required');
    const empty = await t.request({
      method: 'GET',
      url: '/v1/holders',
      key: null,
      headers: { authorization: '' },
    });
    expectProblem(empty, 401, 'authentication_required');
  });

  it('refuses malformed credentials', async () => {
    for (const authorization of ['Basic x', 'Bearer', t.test_key, `Bearer ${t.test_key} extra`]) {
      const response = await t.request({
        method: 'GET',
        url: '/v1/holders',
        key: null,
        headers: { authorization },
      });
      expectProblem(response, 401, 'invalid_api_key');
    }
    // A bearer token that is not an sk_ key is looked up as a partner app's access token.
    const unknown_token = await t.request({
      method: 'GET',
      url: '/v1/holders',
      key: null,
      headers: { authorization: 'Bearer nope' },
    });
    expectProblem(unknown_token, 401, 'invalid_access_token');
  });

  it('refuses a well-formed key that is not known', async () => {
    expectProblem(await send('GET', '/v1/holders', unknown_secret), 401, 'invalid_api_key');
    expectProblem(await send('GET', '/v1/holders', `sk_live_${'B'.repeat(43)}`), 401, 'invalid_api_key');
  });

  it('refuses a revoked key immediately', async () => {
    const key = await createKey({ name: 'to revoke' });
    expect((await send('GET', '/v1/holders', key.secret)).statusCode).toBe(200);
    const revoked = await send('POST', `/v1/api_keys/${key.id}/revoke`, undefined);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({ id: key.id, revoked_at: t.clock.now().toISOString() });
    expectProblem(await send('GET', '/v1/holders', key.secret), 401, 'invalid_api_key');
    const holders = await count('holders');
    expectProblem(await send('POST', '/v1/holders', key.secret, { name: 'x' }), 401, 'invalid_api_key');
    expect(await count('holders')).toBe(holders);
    expectProblem(await send('POST', `/v1/api_keys/${key.id}/revoke`, undefined), 409, 'api_key_revoked');
  });

  it('refuses an expired key', async () => {
    const expires_at = new Date(t.clock.now().getTime() + 60_000).toISOString();
    const key = await createKey({ name: 'short-lived', expires_at });
    expect(key.expires_at).toBe(expires_at);
    expect((await send('GET', '/v1/holders', key.secret)).statusCode).toBe(200);
    t.clock.advance(61_000);
    expectProblem(await send('GET', '/v1/holders', key.secret), 401, 'invalid_api_key');
  });

  it('refuses an expires_at in the past', async () => {
    const before = await count('api_keys');
    const expires_at = new Date(t.clock.now().getTime() - 1_000).toISOString();
    expectProblem(
      await send('POST', '/v1/api_keys', undefined, { name: 'late', expires_at }),
      400,
      'invalid_request',
      'expires_at',
    );
    expect(await count('api_keys')).toBe(before);
  });
});

describe('mode isolation', () => {
  it('hides test-mode objects from live keys with 404, and the reverse', async () => {
    const created = await send('POST', '/v1/holders', undefined, { name: 'Test Tess' });
    const holder = created.json<{ id: string; livemode: boolean }>();
    expect(holder.livemode).toBe(false);
    expectProblem(await send('GET', `/v1/holders/${holder.id}`, t.live_key), 404, 'resource_not_found');
    const before = await t.db.pool.query('SELECT * FROM holders WHERE id = $1', [holder.id]);
    expectProblem(
      await send('POST', `/v1/holders/${holder.id}`, t.live_key, { name: 'Hijack' }),
      404,
      'resource_not_found',
    );
    expect((await t.db.pool.query('SELECT * FROM holders WHERE id = $1', [holder.id])).rows).toEqual(
      before.rows,
    );

    const live = (await send('POST', '/v1/holders', t.live_key, { name: 'Live Liv' })).json<{
      id: string;
      livemode: boolean;
    }>();
    expect(live.livemode).toBe(true);
    expectProblem(await send('GET', `/v1/holders/${live.id}`, undefined), 404, 'resource_not_found');

    const live_list = (await send('GET', '/v1/holders', t.live_key)).json<{
      data: { id: string; livemode: boolean }[];
    }>();
    expect(live_list.data.map((h) => h.id)).toEqual([live.id]);
    const test_list = (await send('GET', '/v1/holders', undefined)).json<{
      data: { id: string; livemode: boolean }[];
    }>();
    expect(test_list.data.map((h) => h.id)).toContain(holder.id);
    expect(test_list.data.every((h) => !h.livemode)).toBe(true);
  });

  it('keeps API keys to their mode', async () => {
    const test_key = await createKey({ name: 'test only' });
    const live_key = await createKey({ name: 'live only' }, t.live_key);
    expect(test_key.livemode).toBe(false);
    expect(test_key.secret).toMatch(/^sk_test_/);
    expect(live_key.livemode).toBe(true);
    expect(live_key.secret).toMatch(/^sk_live_/);
    expectProblem(await send('GET', `/v1/api_keys/${test_key.id}`, t.live_key), 404, 'resource_not_found');
    expectProblem(
      await send('POST', `/v1/api_keys/${test_key.id}/revoke`, t.live_key),
      404,
      'resource_not_found',
    );
    const live_list = (await send('GET', '/v1/api_keys?limit=100', t.live_key)).json<{ data: ApiKey[] }>();
    expect(live_list.data.map((k) => k.id)).not.toContain(test_key.id);
    expect(live_list.data.every((k) => k.livemode)).toBe(true);
  });
});

describe('scopes', () => {
  it('lets a holders:read key read holders but not write them', async () => {
    const reader = await createKey({ name: 'reader', scopes: ['holders:read'] });
    expect(reader.scopes).toEqual(['holders:read']);
    expect((await send('GET', '/v1/holders', reader.secret)).statusCode).toBe(200);
    const before = await count('holders');
    expectProblem(
      await send('POST', '/v1/holders', reader.secret, { name: 'x' }),
      403,
      'insufficient_scope',
      'holders:write',
    );
    expect(await count('holders')).toBe(before);
    expectProblem(await send('GET', '/v1/assets', reader.secret), 403, 'insufficient_scope', 'assets:read');
    expectProblem(
      await send('GET', '/v1/api_keys', reader.secret),
      403,
      'insufficient_scope',
      'api_keys:read',
    );
  });

  it('does not let a key grant scopes it lacks', async () => {
    const minter = await createKey({ name: 'minter', scopes: ['api_keys:write', 'holders:read'] });
    const before = await count('api_keys');
    for (const scopes of [
      ['holders:write'],
      ['holders:*'],
      ['*'],
      ['api_keys:*'],
      ['holders:read', 'assets:read'],
    ]) {
      const response = await send('POST', '/v1/api_keys', minter.secret, { name: 'escalate', scopes });
      expectProblem(response, 403, 'insufficient_scope', 'scopes');
    }
    expect(await count('api_keys')).toBe(before);
    expect((await createKey({ name: 'narrower', scopes: ['holders:read'] }, minter.secret)).scopes).toEqual([
      'holders:read',
    ]);
    const inherited = await createKey({ name: 'same' }, minter.secret);
    expect(inherited.scopes).toEqual(['api_keys:write', 'holders:read']);
  });

  it('refuses an unknown scope', async () => {
    const before = await count('api_keys');
    expectProblem(
      await send('POST', '/v1/api_keys', undefined, { name: 'odd', scopes: ['wallets:fly'] }),
      400,
      'invalid_request',
      'scopes',
    );
    expect(await count('api_keys')).toBe(before);
  });

  it('does not let a test key create a live key', async () => {
    const before = await count('api_keys');
    expectProblem(
      await send('POST', '/v1/api_keys', undefined, { name: 'live', mode: 'live' }),
      403,
      'mode_mismatch',
      'mode',
    );
    expect(await count('api_keys')).toBe(before);
  });
});

describe('secrets', () => {
  it('returns the secret once; list and retrieve show only redacted_secret', async () => {
    const key = await createKey({ name: 'once' });
    expect(key.secret).toMatch(/^sk_test_[0-9A-Za-z]{43}$/);
    expect(key.redacted_secret).toBe(`sk_test_...${key.secret.slice(-4)}`);
    const fetched = await send('GET', `/v1/api_keys/${key.id}`, undefined);
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).not.toHaveProperty('secret');
    expect(fetched.json()).toMatchObject({ id: key.id, redacted_secret: key.redacted_secret });
    expect(fetched.body).not.toContain(key.secret);
    const listed = await send('GET', '/v1/api_keys?limit=100', undefined);
    const items = listed.json<{ data: ApiKey[] }>().data;
    expect(items.map((k) => k.id)).toContain(key.id);
    for (const item of items) expect(item).not.toHaveProperty('secret');
    expect(listed.body).not.toContain(key.secret);
  });

  it('stores keys hashed: the plaintext secret is nowhere in the row', async () => {
    const key = await createKey({ name: 'hashed' });
    const result = await t.db.pool.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [
      key.id,
    ]);
    const row = result.rows[0];
    expect(row).toBeDefined();
    const hash = row?.secret_hash;
    expect(Buffer.isBuffer(hash) && hash.length === 32).toBe(true);
    const body = key.secret.slice('sk_test_'.length);
    for (const value of Object.values(row ?? {})) {
      const texts = Buffer.isBuffer(value)
        ? [value.toString('utf8'), value.toString('hex'), value.toString('base64')]
        : [JSON.stringify(value) ?? ''];
      for (const text of texts) expect(text).not.toContain(body);
    }
  });

  it('does not keep the plaintext secret in idempotency records', async () => {
    const response = await t.request({
      method: 'POST',
      url: '/v1/api_keys',
      payload: { name: 'idempotent' },
      headers: { 'idempotency-key': 'create-key-1' },
    });
    expect(response.statusCode, response.body).toBe(201);
    const secret = response.json<ApiKey>().secret ?? '';
    expect(secret).not.toBe('');
    const stored = await t.db.pool.query<{ response_body: string }>(
      'SELECT response_body FROM idempotency_keys',
    );
    // Opened: the stored responses are sealed, and must not hold the secret even so.
    for (const row of stored.rows) expect(open('personal', row.response_body)).not.toContain(secret);
  });
});

describe('versioning', () => {
  it('says which version answered', async () => {
    const list = await send('GET', '/v1/holders', undefined);
    expect(list.headers['purse-version']).toBe('2026-11-01');
    const created = await send('POST', '/v1/holders', undefined, { name: 'Vera' });
    expect(created.statusCode).toBe(201);
    expect(created.headers['purse-version']).toBe('2026-11-01');
    const pinned = await t.request({
      method: 'GET',
      url: '/v1/holders',
      headers: { 'purse-version': '2026-11-01' },
    });
    expect(pinned.statusCode).toBe(200);
    expect(pinned.headers['purse-version']).toBe('2026-11-01');
    expect((await createKey({ name: 'versioned' })).api_version).toBe('2026-11-01');
  });

  it('refuses an unknown Purse-Version with 400 invalid_api_version, writing nothing', async () => {
    for (const version of ['2020-01-01', 'latest']) {
      const get = await t.request({
        method: 'GET',
        url: '/v1/holders',
        headers: { 'purse-version': version },
      });
      expectProblem(get, 400, 'invalid_api_version', 'Purse-Version');
    }
    const before = await count('holders');
    const post = await t.request({
      method: 'POST',
      url: '/v1/holders',
      payload: { name: 'Old' },
      headers: { 'purse-version': '2020-01-01' },
    });
    expectProblem(post, 400, 'invalid_api_version', 'Purse-Version');
    expect(await count('holders')).toBe(before);
  });
});

describe('a key manages only keys no more powerful than itself', () => {
  async function stateOf(id: string) {
    const result = await t.db.pool.query(
      'SELECT secret_hash, revoked_at, spend_policy, rate_limit_requests_max, expires_at FROM api_keys WHERE id = $1',
      [id],
    );
    return result.rows[0];
  }

  it('refuses a key manager rolling, updating or revoking a more powerful key', async () => {
    const admin = await createKey({ name: 'victim admin', scopes: ['*'] });
    const manager = await createKey({ name: 'key manager', scopes: ['api_keys:write'] });
    const before = await stateOf(admin.id);
    const attempts: [string, object][] = [
      [`/v1/api_keys/${admin.id}/roll`, { grace_period_s: 0 }],
      [`/v1/api_keys/${admin.id}`, { rate_limit_requests_max: 1 }],
      [`/v1/api_keys/${admin.id}/revoke`, {}],
    ];
    for (const [url, payload] of attempts) {
      const response = await send('POST', url, manager.secret, payload);
      expectProblem(response, 403, 'insufficient_scope', 'scopes');
      expect(response.body).not.toMatch(/sk_test_[0-9A-Za-z]{43}/);
    }
    expect(await stateOf(admin.id)).toEqual(before);
    expect((await send('GET', '/v1/holders', admin.secret)).statusCode).toBe(200);
    // What it may touch, it still may: a key within its scopes, and itself.
    const reader = await createKey({ name: 'reader', scopes: ['api_keys:read'] }, manager.secret);
    const rolled = await send('POST', `/v1/api_keys/${reader.id}/roll`, manager.secret, {
      grace_period_s: 0,
    });
    expect(rolled.statusCode, rolled.body).toBe(200);
    expect((await send('POST', `/v1/api_keys/${manager.id}/roll`, manager.secret, {})).statusCode).toBe(200);
  });

  it('refuses an expiring key minting or rolling a key that outlives it', async () => {
    const expires_at = new Date(t.clock.now().getTime() + 60_000);
    const brief = await createKey({ name: 'brief', expires_at: expires_at.toISOString() });
    const before = await count('api_keys');
    for (const payload of [
      { name: 'forever' },
      { name: 'longer', expires_at: new Date(expires_at.getTime() + 1_000).toISOString() },
    ])
      expectProblem(
        await send('POST', '/v1/api_keys', brief.secret, payload),
        403,
        'api_key_exceeds_caller',
        'expires_at',
      );
    expect(await count('api_keys')).toBe(before);
    const forever = await createKey({ name: 'forever' });
    expectProblem(
      await send('POST', `/v1/api_keys/${forever.id}/roll`, brief.secret, { grace_period_s: 0 }),
      403,
      'api_key_exceeds_caller',
      'expires_at',
    );
    const within = await createKey({ name: 'within', expires_at: expires_at.toISOString() }, brief.secret);
    expect(within.expires_at).toBe(expires_at.toISOString());
  });

  it('lets a policy-bound key manage only itself, never loosening its policy or rate limit', async () => {
    const spend_policy = { limits: [{ currency: 'USD', daily_max: '50.00' }] };
    const agent = await createKey({
      name: 'agent',
      scopes: ['api_keys:write', 'transfers:write'],
      spend_policy,
      rate_limit_requests_max: 10,
    });
    const other = await createKey({ name: 'other', scopes: ['transfers:write'], spend_policy });
    const before = await count('api_keys');
    expectProblem(
      await send('POST', '/v1/api_keys', agent.secret, { name: 'twin', spend_policy }),
      403,
      'key_restricted',
      'spend_policy',
    );
    expect(await count('api_keys')).toBe(before);
    expectProblem(
      await send('POST', `/v1/api_keys/${other.id}/roll`, agent.secret, {}),
      403,
      'key_restricted',
      'spend_policy',
    );
    const own = `/v1/api_keys/${agent.id}`;
    expectProblem(await send('POST', own, agent.secret, { spend_policy: null }), 403, 'key_restricted');
    expectProblem(
      await send('POST', own, agent.secret, {
        spend_policy: { limits: [{ currency: 'USD', daily_max: '51' }] },
      }),
      403,
      'key_restricted',
      'spend_policy',
    );
    expectProblem(
      await send('POST', own, agent.secret, { rate_limit_requests_max: 11 }),
      403,
      'api_key_exceeds_caller',
      'rate_limit_requests_max',
    );
    expect((await stateOf(agent.id))?.spend_policy).toEqual(spend_policy);
    const tightened = await send('POST', own, agent.secret, {
      spend_policy: { limits: [{ currency: 'USD', daily_max: '20.00' }] },
    });
    expect(tightened.statusCode, tightened.body).toBe(200);
    const rolled = await send('POST', `${own}/roll`, agent.secret, { grace_period_s: 0 });
    expect(rolled.statusCode, rolled.body).toBe(200);
  });
});
