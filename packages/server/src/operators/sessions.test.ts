import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { expectProblem, newWallet } from '../test-support/money.js';
import {
  asOperator,
  newOperator,
  operator_password,
  signedIn,
  signIn,
  signInRequest,
} from '../test-support/operators.js';
import { operatorCode } from './service.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  await t.close();
});

async function auditRows(where: string, params: unknown[]) {
  const found = await t.db.pool.query(`SELECT * FROM audit_logs WHERE ${where} ORDER BY created_at`, params);
  return found.rows;
}

describe('dashboard sign-in', () => {
  it('opens a session with password and authenticator code, in an HttpOnly SameSite=Strict cookie', async () => {
    const operator = await newOperator(t, 'viewer');
    const response = await signInRequest(
      t,
      operator.email,
      operator_password,
      operatorCode(operator.totp_secret, t.clock.now()),
    );
    expect(response.statusCode, response.body).toBe(200);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^purse_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('Path=/');
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toMatchObject({ object: 'operator_session', operator: { id: operator.id, role: 'viewer' } });
    const again = await t.request({
      method: 'GET',
      url: '/dashboard/session',
      key: null,
      headers: { cookie: cookie.split(';')[0] },
    });
    expect(again.json()).toMatchObject({ csrf_token: body.csrf_token, operator: { id: operator.id } });
    const stored = await t.db.pool.query('SELECT token_hash FROM operator_sessions WHERE operator_id = $1', [
      operator.id,
    ]);
    expect(cookie).not.toContain(stored.rows[0].token_hash.toString('base64url'));
    expect(await auditRows('actor = $1', [operator.id])).toMatchObject([
      { action: 'POST /dashboard/session', outcome_status: 200 },
    ]);
  });

  it('refuses a wrong password, a wrong code, a used code and an unknown email alike', async () => {
    const operator = await newOperator(t, 'viewer');
    const code = operatorCode(operator.totp_secret, t.clock.now());
    const answers = [
      await signInRequest(t, operator.email, 'not the password', code),
      await signInRequest(t, operator.email, operator_password, code === '000000' ? '111111' : '000000'),
      await signInRequest(t, 'nobody@ops.example.com', operator_password, code),
    ];
    for (const answer of answers) expectProblem(answer, 401, 'invalid_credentials');
    expect(new Set(answers.map((answer) => answer.json().detail)).size).toBe(1);
    expect((await signInRequest(t, operator.email, operator_password, code)).statusCode).toBe(200);
    // The same code again, inside its 30 seconds: refused, it signs in once.
    expectProblem(
      await signInRequest(t, operator.email, operator_password, code),
      401,
      'invalid_credentials',
    );
  });

  it('locks an operator out after five failures in a row, even when the guesses come in parallel', async () => {
    const operator = await newOperator(t, 'admin');
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        signInRequest(t, operator.email, `wrong password ${index}`, '123456'),
      ),
    );
    const codes = guesses.map((guess) => guess.json().code);
    expect(codes.filter((code) => code === 'invalid_credentials')).toHaveLength(5);
    expect(codes.filter((code) => code === 'operator_locked')).toHaveLength(7);
    t.clock.advance(30_000);
    const right = await signInRequest(
      t,
      operator.email,
      operator_password,
      operatorCode(operator.totp_secret, t.clock.now()),
    );
    expectProblem(right, 429, 'operator_locked');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(800);
    t.clock.advance(900_000);
    expect((await signIn(t, operator)).cookie).toMatch(/^purse_session=/);
    const refused = await auditRows('actor = $1 AND outcome_code IS NOT NULL', [operator.id]);
    expect(refused).toHaveLength(13);
  });

  it('refuses bad input with a 400 problem', async () => {
    const bad = await t.request({
      method: 'POST',
      url: '/dashboard/session',
      key: null,
      payload: { email: 'x@y.z', password: 'p', code: 'abc' },
    });
    expectProblem(bad, 400, 'invalid_request', 'code');
  });
});

describe('a session on the API', () => {
  it('reads through the one request path, with the role for scopes', async () => {
    const session = await signedIn(t, 'viewer');
    const wallet = await newWallet(t);
    const read = await asOperator(t, session, { method: 'GET', url: `/v1/wallets/${wallet}` });
    expect(read.statusCode, read.body).toBe(200);
    const write = await asOperator(t, session, {
      method: 'POST',
      url: '/v1/wallets',
      payload: { currency: 'USD' },
    });
    expectProblem(write, 403, 'insufficient_scope', 'wallets:write');
    expect(await auditRows('actor = $1 AND action = $2', [session.id, 'POST /v1/wallets'])).toMatchObject([
      { outcome_status: 403, outcome_code: 'insufficient_scope' },
    ]);
  });

  it('changes nothing without the CSRF token, and audits what it changes under the operator', async () => {
    const session = await signedIn(t, 'support');
    const before = await t.db.pool.query('SELECT count(*)::int AS n FROM accounts');
    const forged = await asOperator(t, session, {
      method: 'POST',
      url: '/v1/wallets',
      payload: { currency: 'USD' },
      csrf: false,
    });
    expectProblem(forged, 403, 'csrf_token_invalid');
    const wrong = await asOperator(t, session, {
      method: 'POST',
      url: '/v1/wallets',
      payload: { currency: 'USD' },
      csrf: false,
      headers: { 'x-csrf-token': `${session.csrf_token}x` },
    });
    expectProblem(wrong, 403, 'csrf_token_invalid');
    expect((await t.db.pool.query('SELECT count(*)::int AS n FROM accounts')).rows[0].n).toBe(
      before.rows[0].n,
    );
    const made = await asOperator(t, session, {
      method: 'POST',
      url: '/v1/wallets',
      payload: { currency: 'USD' },
    });
    expect(made.statusCode, made.body).toBe(201);
    expect(await auditRows('object_id = $1', [made.json().id])).toMatchObject([
      { actor: session.id, action: 'POST /v1/wallets', outcome_status: 201 },
    ]);
  });

  it('acts in the mode Purse-Mode names, test unless it says live', async () => {
    const session = await signedIn(t, 'support');
    const live = await asOperator(t, session, {
      method: 'POST',
      url: '/v1/wallets',
      payload: { currency: 'USD' },
      mode: 'live',
    });
    expect(live.json()).toMatchObject({ livemode: true });
    const in_test = await asOperator(t, session, { method: 'GET', url: `/v1/wallets/${live.json().id}` });
    expectProblem(in_test, 404, 'resource_not_found');
    const odd = await asOperator(t, session, {
      method: 'GET',
      url: '/v1/wallets',
      headers: { 'purse-mode': 'LIVE' },
    });
    expectProblem(odd, 400, 'invalid_request', 'Purse-Mode');
  });

  it('lets an API key in the Authorization header decide over a cookie', async () => {
    const session = await signedIn(t, 'viewer');
    const response = await t.request({
      method: 'POST',
      url: '/v1/wallets',
      payload: { currency: 'USD' },
      headers: { cookie: session.cookie },
    });
    expect(response.statusCode, response.body).toBe(201);
  });

  it('ends at sign-out, after the idle timeout, at its lifetime, and when the operator is disabled', async () => {
    const check = (session: { cookie: string }) =>
      t.request({ method: 'GET', url: '/v1/wallets', key: null, headers: { cookie: session.cookie } });
    const out = await signedIn(t, 'viewer');
    expectProblem(
      await t.request({
        method: 'DELETE',
        url: '/dashboard/session',
        key: null,
        headers: { cookie: out.cookie },
      }),
      403,
      'csrf_token_invalid',
    );
    const bye = await asOperator(t, out, { method: 'DELETE', url: '/dashboard/session' });
    expect(bye.statusCode).toBe(204);
    expect(String(bye.headers['set-cookie'])).toContain('Max-Age=0');
    expectProblem(await check(out), 401, 'session_required');

    const idle = await signedIn(t, 'viewer');
    t.clock.advance(t.config.operators.sessions.idle_timeout_s * 1000 + 1000);
    expectProblem(await check(idle), 401, 'session_required');

    const busy = await signedIn(t, 'viewer');
    for (let used_s = 0; used_s <= t.config.operators.sessions.lifetime_s; used_s += 1_500) {
      t.clock.advance(1_500_000);
      if ((await check(busy)).statusCode !== 200) break;
    }
    expectProblem(await check(busy), 401, 'session_required');

    const admin = await signedIn(t, 'admin');
    const doomed = await signedIn(t, 'finance');
    const disabled = await asOperator(t, admin, {
      method: 'POST',
      url: `/v1/operators/${doomed.id}`,
      payload: { disabled: true },
      mode: 'live',
    });
    expect(disabled.json()).toMatchObject({ disabled: true });
    expectProblem(await check(doomed), 401, 'session_required');
  });
});
