import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface Holder {
  id: string;
  object: string;
  livemode: boolean;
  name: string | null;
  email: string | null;
  external_id: string | null;
  kyc_status: string;
  kyc_tier: number;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
}

async function holderCount(): Promise<number> {
  const result = await t.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM holders');
  return result.rows[0]?.n ?? -1;
}

async function holderRow(id: string): Promise<unknown> {
  const result = await t.db.pool.query('SELECT * FROM holders WHERE id = $1', [id]);
  return result.rows[0];
}

async function create(payload: object, key?: string): Promise<Holder> {
  const response = await t.request({
    method: 'POST',
    url: '/v1/holders',
    payload,
    ...(key === undefined ? {} : { key }),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Holder>();
}

function update(id: string, payload: object): Promise<LightMyRequestResponse> {
  return t.request({ method: 'POST', url: `/v1/holders/${id}`, payload });
}

async function list(query: string): Promise<Holder[]> {
  const response = await t.request({ method: 'GET', url: `/v1/holders?${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: Holder[] }>().data;
}

function expectProblem(
  response: LightMyRequestResponse,
  status: number,
  code: string,
  param?: string | RegExp,
): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json<{ status: number; code: string; param?: string }>();
  expect(body.status).toBe(status);
  expect(body.code).toBe(code);
  if (typeof param === 'string') expect(body.param).toBe(param);
  else if (param !== undefined) expect(body.param).toMatch(param);
}

/** Sends a request that must fail with a 4xx, and checks that the holders table did not change. */
async function expectRefused(
  send: () => Promise<LightMyRequestResponse>,
  status: number,
  code: string,
  param?: string | RegExp,
): Promise<void> {
  const before = await t.db.pool.query('SELECT * FROM holders ORDER BY id');
  expectProblem(await send(), status, code, param);
  const after = await t.db.pool.query('SELECT * FROM holders ORDER BY id');
  expect(after.rows).toEqual(before.rows);
}

const post = (payload: object) => () => t.request({ method: 'POST', url: '/v1/holders', payload });

describe('create and retrieve', () => {
  it('creates, retrieves and lists a holder', async () => {
    const before = await holderCount();
    const holder = await create({
      name: 'Ada',
      email: 'ada@example.com',
      external_id: 'u1',
      kyc_status: 'pending',
      kyc_tier: 1,
      metadata: { plan: 'pro' },
    });
    expect(holder).toEqual({
      id: expect.stringMatching(/^hol_[0-9a-z]{26}$/),
      object: 'holder',
      livemode: false,
      name: 'Ada',
      email: 'ada@example.com',
      external_id: 'u1',
      kyc_status: 'pending',
      kyc_tier: 1,
      test_clock: null,
      metadata: { plan: 'pro' },
      created_at: t.clock.now().toISOString(),
      updated_at: t.clock.now().toISOString(),
    });
    expect(await holderCount()).toBe(before + 1);
    const fetched = await t.request({ method: 'GET', url: `/v1/holders/${holder.id}` });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual(holder);
    const listed = await t.request({ method: 'GET', url: '/v1/holders?external_id=u1' });
    expect(listed.json()).toEqual({ object: 'list', data: [holder], has_more: false });
  });

  it('fills defaults when every field is left out', async () => {
    const holder = await create({});
    expect(holder).toMatchObject({
      name: null,
      email: null,
      external_id: null,
      kyc_status: 'unverified',
      kyc_tier: 0,
      metadata: {},
    });
  });

  it('answers 404 resource_not_found for an unknown holder, and writes nothing', async () => {
    const id = 'hol_01jd0w3n3w8m5t5vq6fz1y2k3h';
    expectProblem(await t.request({ method: 'GET', url: `/v1/holders/${id}` }), 404, 'resource_not_found');
    await expectRefused(() => update(id, { name: 'Ghost' }), 404, 'resource_not_found');
  });
});

describe('update', () => {
  it('sets the given fields and leaves the others', async () => {
    const holder = await create({
      name: 'Bea',
      email: 'bea@example.com',
      external_id: 'upd-1',
      metadata: { a: '1' },
    });
    t.clock.advance(1_000);
    const response = await update(holder.id, { name: 'Beatrice', kyc_status: 'verified', kyc_tier: 3 });
    expect(response.statusCode, response.body).toBe(200);
    const updated = response.json<Holder>();
    expect(updated).toEqual({
      ...holder,
      name: 'Beatrice',
      kyc_status: 'verified',
      kyc_tier: 3,
      updated_at: t.clock.now().toISOString(),
    });
    expect(updated.created_at).toBe(holder.created_at);
    const fetched = await t.request({ method: 'GET', url: `/v1/holders/${holder.id}` });
    expect(fetched.json()).toEqual(updated);
  });

  it('clears name, email and external_id with null', async () => {
    const holder = await create({ name: 'Cy', email: 'cy@example.com', external_id: 'upd-2', kyc_tier: 2 });
    const response = await update(holder.id, { name: null, email: null, external_id: null });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ name: null, email: null, external_id: null, kyc_tier: 2 });
    expect(await holderRow(holder.id)).toMatchObject({ name: null, email: null, external_id: null });
    // The external id is free again.
    await create({ external_id: 'upd-2' });
  });

  it('merges metadata, and "" removes a key', async () => {
    const holder = await create({ metadata: { keep: 'k', change: 'old', drop: 'x' } });
    const response = await update(holder.id, {
      metadata: { change: 'new', drop: '', added: 'y', absent: '' },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<Holder>().metadata).toEqual({ keep: 'k', change: 'new', added: 'y' });
    expect(await holderRow(holder.id)).toMatchObject({ metadata: { keep: 'k', change: 'new', added: 'y' } });
  });

  it('refuses an update that would take metadata past 50 keys, and changes nothing', async () => {
    const full = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    const holder = await create({ metadata: full });
    await expectRefused(
      () => update(holder.id, { metadata: { one_more: 'v' } }),
      400,
      'invalid_request',
      'metadata',
    );
    const swapped = await update(holder.id, { metadata: { k0: '', one_more: 'v' } });
    expect(swapped.statusCode, swapped.body).toBe(200);
    expect(Object.keys(swapped.json<Holder>().metadata)).toHaveLength(50);
  });

  it('refuses invalid fields on update without writing', async () => {
    const holder = await create({ name: 'Dee' });
    await expectRefused(() => update(holder.id, { email: 'not-an-email' }), 400, 'invalid_request', 'email');
    await expectRefused(() => update(holder.id, { kyc_tier: 10 }), 400, 'invalid_request', 'kyc_tier');
    await expectRefused(() => update(holder.id, { kyc_status: null }), 400, 'invalid_request', 'kyc_status');
    await expectRefused(() => update(holder.id, { name: '' }), 400, 'invalid_request', 'name');
    await expectRefused(() => update(holder.id, { nickname: 'D' }), 400, 'invalid_request', 'nickname');
  });
});

describe('list', () => {
  it('filters by external_id, email and kyc_status, newest first', async () => {
    const a = await create({ email: 'same@example.org', external_id: 'list-a', kyc_status: 'rejected' });
    const b = await create({ email: 'same@example.org', external_id: 'list-b', kyc_status: 'rejected' });
    const c = await create({ email: 'other@example.org', external_id: 'list-c', kyc_status: 'rejected' });
    expect((await list('external_id=list-b')).map((h) => h.id)).toEqual([b.id]);
    expect((await list('email=same@example.org')).map((h) => h.id)).toEqual([b.id, a.id]);
    expect((await list('kyc_status=rejected')).map((h) => h.id)).toEqual([c.id, b.id, a.id]);
    expect((await list('kyc_status=rejected&email=other@example.org')).map((h) => h.id)).toEqual([c.id]);
    expect(await list('external_id=nobody')).toEqual([]);
  });

  it('pages with limit and starting_after', async () => {
    const first = await t.request({ method: 'GET', url: '/v1/holders?kyc_status=rejected&limit=2' });
    const page = first.json<{ data: Holder[]; has_more: boolean }>();
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);
    const last = page.data[1];
    const rest = await list(`kyc_status=rejected&limit=2&starting_after=${last?.id}`);
    expect(rest).toHaveLength(1);
    expect(rest[0]?.external_id).toBe('list-a');
  });

  it('refuses a bad kyc_status filter', async () => {
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/holders?kyc_status=bogus' }),
      400,
      'invalid_request',
      'kyc_status',
    );
  });
});

describe('external_id uniqueness', () => {
  it('is unique per mode: 409 in the same mode, allowed in the other', async () => {
    const first = await create({ external_id: 'dup-1' });
    await expectRefused(
      post({ external_id: 'dup-1', name: 'Twin' }),
      409,
      'holder_external_id_taken',
      'external_id',
    );
    const other = await create({ external_id: 'dup-2' });
    await expectRefused(
      () => update(other.id, { external_id: 'dup-1' }),
      409,
      'holder_external_id_taken',
      'external_id',
    );
    const live = await create({ external_id: 'dup-1' }, t.live_key);
    expect(live.livemode).toBe(true);
    expect(live.id).not.toBe(first.id);
  });
});

describe('validation', () => {
  const long = (n: number) => 'x'.repeat(n);

  it('accepts metadata at its limits: 50 keys, 40-character keys, 500-character values', async () => {
    await create({ metadata: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) });
    await create({ metadata: { [long(40)]: long(500) } });
  });

  it('refuses 51 metadata keys', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    await expectRefused(post({ metadata }), 400, 'invalid_request', 'metadata');
  });

  it('refuses a metadata key over 40 characters', async () => {
    await expectRefused(post({ metadata: { [long(41)]: 'v' } }), 400, 'invalid_request', /^metadata/);
  });

  it('refuses an empty metadata key', async () => {
    await expectRefused(post({ metadata: { '': 'v' } }), 400, 'invalid_request', /^metadata/);
  });

  it('refuses a metadata value over 500 characters', async () => {
    await expectRefused(post({ metadata: { note: long(501) } }), 400, 'invalid_request', /^metadata/);
  });

  it('refuses a non-string metadata value', async () => {
    await expectRefused(post({ metadata: { n: 1 } }), 400, 'invalid_request', /^metadata/);
  });

  it('refuses a bad email', async () => {
    await expectRefused(post({ email: 'not-an-email' }), 400, 'invalid_request', 'email');
  });

  it('refuses kyc_tier outside 0..9 or not an integer', async () => {
    await expectRefused(post({ kyc_tier: 10 }), 400, 'invalid_request', 'kyc_tier');
    await expectRefused(post({ kyc_tier: -1 }), 400, 'invalid_request', 'kyc_tier');
    await expectRefused(post({ kyc_tier: 1.5 }), 400, 'invalid_request', 'kyc_tier');
    await expectRefused(post({ kyc_tier: '1' }), 400, 'invalid_request', 'kyc_tier');
  });

  it('refuses an unknown kyc_status, an over-long name and an unknown field', async () => {
    await expectRefused(post({ kyc_status: 'approved' }), 400, 'invalid_request', 'kyc_status');
    await expectRefused(post({ name: long(201) }), 400, 'invalid_request', 'name');
    await expectRefused(post({ nickname: 'Ada' }), 400, 'invalid_request', 'nickname');
  });
});

describe("a holder's KYC fields", () => {
  it('are set by operators only: a key with a spend policy cannot raise a tier or a status', async () => {
    const agent = await createKey(t, {
      scopes: ['*'],
      spend_policy: { limits: [{ currency: 'USD', daily_max: '100.00' }] },
    });
    const as = (url: string, payload: Record<string, unknown>) =>
      t.request({ method: 'POST', url, payload, key: agent.secret });
    expectProblem(
      await as('/v1/holders', { name: 'Agent Made', kyc_tier: 9 }),
      403,
      'key_restricted',
      'kyc_tier',
    );
    expectProblem(await as('/v1/holders', { kyc_status: 'verified' }), 403, 'key_restricted', 'kyc_status');
    const made = await as('/v1/holders', { name: 'Agent Made' });
    expect(made.json()).toMatchObject({ kyc_status: 'unverified', kyc_tier: 0 });
    const id = made.json().id;
    expectProblem(await as(`/v1/holders/${id}`, { kyc_tier: 3 }), 403, 'key_restricted', 'kyc_tier');
    expectProblem(
      await as(`/v1/holders/${id}`, { kyc_status: 'verified' }),
      403,
      'key_restricted',
      'kyc_status',
    );
    expect((await as(`/v1/holders/${id}`, { name: 'Agent Renamed' })).statusCode).toBe(200);
    const seen = await t.request({ method: 'GET', url: `/v1/holders/${id}` });
    expect(seen.json()).toMatchObject({ kyc_status: 'unverified', kyc_tier: 0, name: 'Agent Renamed' });
  });
});
