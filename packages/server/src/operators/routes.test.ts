import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../auth/scopes.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { expectProblem, newWallet } from '../test-support/money.js';
import { asOperator, signedIn } from '../test-support/operators.js';
import { operatorCode } from './service.js';

/**
 * The authorization rows of /v1/operators (auth/authorization-table.test.ts points here): an
 * operator acts in both modes, so only live-mode callers manage them, and a caller may only give a
 * role whose scopes it holds; restricted and policy-bound keys are refused outright.
 */

let t: TestApp;
let n = 0;

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  await t.close();
});

function body(role: string) {
  n += 1;
  return { email: `made-${n}@ops.example.com`, name: `Made ${n}`, role };
}

function create(key: string, role = 'viewer') {
  return t.request({ method: 'POST', url: '/v1/operators', key, payload: body(role) });
}

async function operatorCount(): Promise<number> {
  return (await t.db.pool.query('SELECT count(*)::int AS n FROM operators')).rows[0].n;
}

const reads = resources.map((resource) => `${resource}:read`);

describe('POST /v1/operators', () => {
  it('creates one for an unrestricted live key, showing its password and authenticator once', async () => {
    const made = await create(t.live_key, 'finance');
    expect(made.statusCode, made.body).toBe(201);
    const operator = made.json();
    expect(operator).toMatchObject({ object: 'operator', role: 'finance', disabled: false });
    expect(operator.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(operator.totp_uri).toMatch(/^otpauth:\/\/totp\//);
    const code = operatorCode(operator.totp_secret, t.clock.now());
    const session = await t.request({
      method: 'POST',
      url: '/dashboard/session',
      key: null,
      payload: { email: operator.email, password: operator.password, code },
    });
    expect(session.statusCode, session.body).toBe(200);
    const listed = await t.request({ method: 'GET', url: `/v1/operators/${operator.id}`, key: t.live_key });
    expect(listed.json()).not.toHaveProperty('password');
    expect(listed.json()).not.toHaveProperty('totp_secret');
  });

  it('refuses every key that must not, and writes nothing', async () => {
    const before = await operatorCount();
    const expired = await createKey(
      t,
      {
        scopes: ['*'],
        mode: 'live',
        expires_at: new Date(t.clock.now().getTime() + 1_000).toISOString(),
      },
      t.live_key,
    );
    const wallet = await newWallet(t);
    const refusals: [string, number, string][] = [
      [t.test_key, 403, 'mode_mismatch'],
      [
        (await createKey(t, { scopes: ['operators:read'], mode: 'live' }, t.live_key)).secret,
        403,
        'insufficient_scope',
      ],
      // May manage operators, but a viewer reads everything and this key reads nothing.
      [
        (await createKey(t, { scopes: ['operators:write'], mode: 'live' }, t.live_key)).secret,
        403,
        'insufficient_scope',
      ],
      [
        (await createKey(t, { scopes: ['*'], restrictions: { wallet_ids: [wallet] } })).secret,
        403,
        'key_restricted',
      ],
      [
        (
          await createKey(
            t,
            {
              scopes: ['*'],
              mode: 'live',
              spend_policy: { limits: [{ currency: 'USD', per_movement_max: '5.00' }] },
            },
            t.live_key,
          )
        ).secret,
        403,
        'key_restricted',
      ],
    ];
    t.clock.advance(2_000);
    refusals.push([expired.secret, 401, 'invalid_api_key']);
    for (const [key, status, code] of refusals) {
      const answer = await create(key);
      expectProblem(answer, status, code, answer.json().param);
    }
    expect(await operatorCount()).toBe(before);
  });

  it('lets a key give only a role within its own scopes', async () => {
    const reader = await createKey(t, { scopes: ['operators:write', ...reads], mode: 'live' }, t.live_key);
    expect((await create(reader.secret, 'viewer')).statusCode).toBe(201);
    expectProblem(await create(reader.secret, 'finance'), 403, 'insufficient_scope', 'role');
    expectProblem(await create(reader.secret, 'admin'), 403, 'insufficient_scope', 'role');
  });

  it('lets an admin operator manage operators in live mode only, and no other role at all', async () => {
    const admin = await signedIn(t, 'admin');
    const finance = await signedIn(t, 'finance');
    const as = (session: typeof admin, mode: 'test' | 'live') =>
      asOperator(t, session, { method: 'POST', url: '/v1/operators', payload: body('support'), mode });
    expect((await as(admin, 'live')).statusCode).toBe(201);
    expectProblem(await as(admin, 'test'), 403, 'mode_mismatch', 'role');
    expectProblem(await as(finance, 'live'), 403, 'insufficient_scope', 'operators:write');
  });
});

describe('POST /v1/operators/:id', () => {
  it('refuses to touch an operator whose role holds more than the caller', async () => {
    const admin = (await create(t.live_key, 'admin')).json();
    const reader = await createKey(t, { scopes: ['operators:write', ...reads], mode: 'live' }, t.live_key);
    const disable = (key: string) =>
      t.request({ method: 'POST', url: `/v1/operators/${admin.id}`, key, payload: { disabled: true } });
    expectProblem(await disable(reader.secret), 403, 'insufficient_scope', 'role');
    const viewer = (await create(t.live_key, 'viewer')).json();
    const promote = await t.request({
      method: 'POST',
      url: `/v1/operators/${viewer.id}`,
      key: reader.secret,
      payload: { role: 'admin' },
    });
    expectProblem(promote, 403, 'insufficient_scope', 'role');
    expect((await disable(t.live_key)).json()).toMatchObject({ disabled: true });
  });

  it('answers 404 for an unknown operator and 400 for an empty update', async () => {
    const none = await t.request({
      method: 'POST',
      url: '/v1/operators/op_nothing',
      key: t.live_key,
      payload: { name: 'x' },
    });
    expectProblem(none, 404, 'resource_not_found');
    const empty = await t.request({
      method: 'POST',
      url: '/v1/operators/op_nothing',
      key: t.live_key,
      payload: {},
    });
    expect(empty.statusCode).toBe(400);
  });
});

describe('GET /v1/operators', () => {
  it('lists for operators:read in either mode, never to a restricted key', async () => {
    const list = await t.request({ method: 'GET', url: '/v1/operators', key: t.test_key });
    expect(list.json().data.length).toBeGreaterThan(0);
    const wallet = await newWallet(t);
    const restricted = await createKey(t, { scopes: ['*'], restrictions: { wallet_ids: [wallet] } });
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/operators', key: restricted.secret }),
      403,
      'key_restricted',
    );
    const unscoped = await createKey(t, { scopes: ['wallets:read'] });
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/operators', key: unscoped.secret }),
      403,
      'insufficient_scope',
      'operators:read',
    );
  });
});

describe('API keys made by an operator', () => {
  it('follow the same rule as keys: no more than the operator holds, in its mode', async () => {
    const admin = await signedIn(t, 'admin');
    const finance = await signedIn(t, 'finance');
    const make = (session: typeof admin, payload: Record<string, unknown>, mode: 'test' | 'live' = 'test') =>
      asOperator(t, session, {
        method: 'POST',
        url: '/v1/api_keys',
        payload: { name: 'made', ...payload },
        mode,
      });
    const made = await make(admin, { scopes: ['*'] });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json().secret).toMatch(/^sk_test_/);
    expectProblem(
      await make(admin, { scopes: ['wallets:read'], mode: 'live' }),
      403,
      'mode_mismatch',
      'mode',
    );
    expect((await make(admin, { scopes: ['wallets:read'] }, 'live')).json().secret).toMatch(/^sk_live_/);
    expectProblem(
      await make(finance, { scopes: ['wallets:read'] }),
      403,
      'insufficient_scope',
      'api_keys:write',
    );
  });
});
