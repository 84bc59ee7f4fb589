import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { OperatorRole } from '../operators/roles.js';
import { createOperator, operatorCode } from '../operators/service.js';
import type { TestApp } from './app.js';

export const operator_password = 'correct horse battery staple';

export interface TestOperator {
  readonly id: string;
  readonly email: string;
  readonly totp_secret: string;
}

export interface SignedIn extends TestOperator {
  /** `purse_session=…`, for the Cookie header. */
  readonly cookie: string;
  readonly csrf_token: string;
}

let operators_made = 0;

export async function newOperator(t: TestApp, role: OperatorRole): Promise<TestOperator> {
  operators_made += 1;
  const email = `${role}-${operators_made}@ops.example.com`;
  const created = await createOperator(t.db.pool, {
    email,
    name: `${role} ${operators_made}`,
    role,
    password: operator_password,
    created_by: 'test',
  });
  if (!created.ok) throw new Error(created.error.detail);
  return { id: created.value.id, email, totp_secret: created.value.totp_secret };
}

export function signInRequest(t: TestApp, email: string, password: string, code: string) {
  return t.request({
    method: 'POST',
    url: '/dashboard/session',
    key: null,
    payload: { email, password, code },
  });
}

/**
 * Signs `operator` in with its password and the code its app shows now. A code signs in once, so
 * the clock moves past its step first: an operator can sign in again in the same test.
 */
export async function signIn(t: TestApp, operator: TestOperator): Promise<SignedIn> {
  t.clock.advance(30_000);
  const response = await signInRequest(
    t,
    operator.email,
    operator_password,
    operatorCode(operator.totp_secret, t.clock.now()),
  );
  expect(response.statusCode, response.body).toBe(200);
  const set_cookie = String(response.headers['set-cookie']);
  const cookie = set_cookie.split(';')[0] as string;
  return { ...operator, cookie, csrf_token: response.json().csrf_token };
}

export async function signedIn(t: TestApp, role: OperatorRole): Promise<SignedIn> {
  return signIn(t, await newOperator(t, role));
}

/** A request from the dashboard: the session cookie, its CSRF token, no API key. */
export function asOperator(
  t: TestApp,
  session: SignedIn,
  options: InjectOptions & { csrf?: boolean; mode?: 'test' | 'live' },
): Promise<LightMyRequestResponse> {
  const { csrf = true, mode, headers, ...rest } = options;
  return t.request({
    ...rest,
    key: null,
    headers: {
      ...headers,
      cookie: session.cookie,
      ...(csrf ? { 'x-csrf-token': session.csrf_token } : {}),
      ...(mode === undefined ? {} : { 'purse-mode': mode }),
    },
  });
}
