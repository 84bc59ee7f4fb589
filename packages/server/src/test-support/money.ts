import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestApp } from './app.js';

/** Creates a wallet and returns its id. */
export async function newWallet(
  t: TestApp,
  currency = 'USD',
  extra: Record<string, unknown> = {},
  key?: string,
): Promise<string> {
  const response = await t.request({
    method: 'POST',
    url: '/v1/wallets',
    payload: { currency, ...extra },
    ...(key === undefined ? {} : { key }),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id as string;
}

/** Funds a wallet through the sandbox card rail. */
export async function fund(t: TestApp, wallet_id: string, amount: string, currency = 'USD'): Promise<void> {
  const response = await t.request({
    method: 'POST',
    url: '/v1/payments',
    payload: { wallet_id, amount, currency, source: { type: 'card', number: '4242424242424242' } },
  });
  expect(response.statusCode, response.body).toBe(201);
}

export async function balanceOf(
  t: TestApp,
  wallet_id: string,
): Promise<{ available: string; held: string; pending: string; total: string }> {
  const response = await t.request({ method: 'GET', url: `/v1/wallets/${wallet_id}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().balance;
}

export function transfer(t: TestApp, payload: Record<string, unknown>, idempotency_key?: string) {
  return t.request({
    method: 'POST',
    url: '/v1/transfers',
    payload: { currency: 'USD', ...payload },
    ...(idempotency_key === undefined ? {} : { headers: { 'idempotency-key': idempotency_key } }),
  });
}

/** A wallet balance as the API shows it, in USD. */
export function usd(available: string, held = '0.00', pending = '0.00', total = available) {
  return { available, held, pending, total };
}

/** A new wallet funded with `amount` through the sandbox card rail. */
export async function funded(t: TestApp, amount: string, currency = 'USD'): Promise<string> {
  const wallet = await newWallet(t, currency);
  await fund(t, wallet, amount, currency);
  return wallet;
}

/** The response is an RFC 9457 problem with exactly this status, code and param. */
export function expectProblem(
  response: LightMyRequestResponse,
  status: number,
  code: string,
  param?: string,
): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({ status, code, type: `urn:purse:problem:${code}` });
  expect(body.param).toBe(param);
}

/** POSTs with the test key; a payload when given. */
export function post(t: TestApp, url: string, payload?: Record<string, unknown>, key?: string) {
  return t.request({
    method: 'POST',
    url,
    ...(payload === undefined ? {} : { payload }),
    ...(key === undefined ? {} : { key }),
  });
}

/** POSTs and expects `status`; returns the parsed body. */
export async function postOk(
  t: TestApp,
  url: string,
  payload?: Record<string, unknown>,
  status = 201,
): Promise<Record<string, unknown> & { id: string; status: string }> {
  const response = await post(t, url, payload);
  expect(response.statusCode, response.body).toBe(status);
  return response.json();
}

export async function getJson(
  t: TestApp,
  url: string,
): Promise<Record<string, unknown> & { id: string; status: string }> {
  const response = await t.request({ method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}
