import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  ConflictError,
  ConnectionError,
  IdempotencyError,
  InvalidRequestError,
  Purse,
  RateLimitError,
} from '../src/index.js';
import {
  backoffDelay_ms,
  default_retry_policy,
  isRetryable,
  nextDelay_ms,
  retryAfter_ms,
} from '../src/retry.js';
import { FakeServer } from './fake-server.js';

let fake: FakeServer & { readonly base_url: string };
beforeAll(async () => {
  fake = await FakeServer.start();
});
afterAll(() => fake.close());
beforeEach(() => fake.answers({ status: 200 }));

const client = (options: ConstructorParameters<typeof Purse>[1] = {}) =>
  new Purse('sk_test_fake', { baseUrl: fake.base_url, ...options });
const keys = () => fake.seen.map((request) => request.headers['idempotency-key']);
const error = (promise: PromiseLike<unknown>) =>
  Promise.resolve(promise).then(
    () => undefined,
    (e: unknown) => e,
  );

describe('retries against a fake server', () => {
  it('retries 503, 429 and 409 lock_timeout, with one generated Idempotency-Key on every attempt', async () => {
    fake.answers(
      { status: 503, code: 'service_unavailable' },
      { status: 429, code: 'rate_limited', headers: { 'retry-after': '0' } },
      { status: 409, code: 'lock_timeout', headers: { 'retry-after': '0' } },
      { status: 201 },
    );
    const wallet = await client().wallets.create({ currency: 'USD' });
    expect(wallet.id).toBe('wal_fake');
    expect(fake.seen).toHaveLength(4);
    const [first] = keys();
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys()).toEqual([first, first, first, first]);
    expect(fake.seen.every((request) => request.body === '{"currency":"USD"}')).toBe(true);
  });

  it("reuses the caller's Idempotency-Key across retries, and a fresh one per call without it", async () => {
    fake.answers(
      { status: 409, code: 'idempotency_key_in_use', headers: { 'retry-after': '0' } },
      { status: 201 },
    );
    await client().wallets.create({ currency: 'USD' }, { idempotency_key: 'order-6735' });
    expect(keys()).toEqual(['order-6735', 'order-6735']);
    fake.answers({ status: 201 });
    await client().wallets.create({ currency: 'USD' });
    await client().wallets.create({ currency: 'USD' });
    const [a, b] = keys();
    expect(a).not.toBe(b);
  });

  it('honours Retry-After', async () => {
    fake.answers({ status: 429, code: 'rate_limited', headers: { 'retry-after': '1' } }, { status: 200 });
    const started_ms = Date.now();
    await client().wallets.retrieve('wal_1');
    expect(Date.now() - started_ms).toBeGreaterThanOrEqual(950);
    expect(fake.seen).toHaveLength(2);
  });

  it('never retries any other 4xx', async () => {
    for (const [status, code, type] of [
      [400, 'invalid_request', InvalidRequestError],
      [409, 'wallet_frozen', ConflictError],
      [422, 'idempotency_key_reused', IdempotencyError],
    ] as const) {
      fake.answers({ status, code }, { status: 200 });
      expect(await error(client().wallets.freeze('wal_1'))).toBeInstanceOf(type);
      expect(fake.seen).toHaveLength(1);
    }
  });

  it('stops after max_retries and throws the last answer as a typed error', async () => {
    fake.answers({ status: 503, code: 'service_unavailable', headers: { 'retry-after': '0' } });
    const failed = await error(client({ max_retries: 2 }).wallets.list());
    expect(failed).toBeInstanceOf(ApiError);
    expect(failed).toMatchObject({ status: 503, code: 'service_unavailable', request_id: 'req_fake' });
    expect(fake.seen).toHaveLength(3);
    fake.answers({ status: 429, code: 'rate_limited', headers: { 'retry-after': '0' } });
    expect(await error(client({ max_retries: 0 }).wallets.list())).toBeInstanceOf(RateLimitError);
    expect(fake.seen).toHaveLength(1);
  });

  it('does not wait for a Retry-After longer than allowed, nor past the total time', async () => {
    fake.answers(
      { status: 503, code: 'service_unavailable', headers: { 'retry-after': '3600' } },
      { status: 200 },
    );
    expect(await error(client().wallets.list())).toBeInstanceOf(ApiError);
    expect(fake.seen).toHaveLength(1);
    fake.answers(
      { status: 503, code: 'service_unavailable', headers: { 'retry-after': '1' } },
      { status: 200 },
    );
    expect(await error(client({ retry_total_ms_max: 500 }).wallets.list())).toBeInstanceOf(ApiError);
    expect(fake.seen).toHaveLength(1);
  });

  it('retries a dropped connection and a timed-out attempt, with the same key', async () => {
    fake.answers('drop', 'hang', { status: 201 });
    const wallet = await client({ timeout_ms: 300 }).wallets.create({ currency: 'USD' });
    expect(wallet.id).toBe('wal_fake');
    expect(fake.seen).toHaveLength(3);
    expect(new Set(keys()).size).toBe(1);
  });

  it('throws a ConnectionError when no attempt is answered', async () => {
    fake.answers('drop');
    const failed = await error(client({ max_retries: 1 }).wallets.list());
    expect(failed).toBeInstanceOf(ConnectionError);
    expect(failed).toMatchObject({ status: 0, code: 'connection_failed' });
    expect(fake.seen).toHaveLength(2);
    fake.answers('hang');
    expect(await error(client({ max_retries: 0, timeout_ms: 100 }).wallets.list())).toMatchObject({
      code: 'timeout',
    });
  });

  it("ends at once on the caller's abort, even between retries", async () => {
    fake.answers({ status: 503, code: 'service_unavailable', headers: { 'retry-after': '30' } });
    const controller = new AbortController();
    const call = error(client().wallets.list({}, { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('stop')), 100);
    expect(await call).toMatchObject({ message: 'stop' });
    expect(fake.seen).toHaveLength(1);
  });
});

describe('the retry policy', () => {
  it('retries no answer, 429, 5xx and the two transient 409s, nothing else', () => {
    expect(isRetryable({ kind: 'no_answer' })).toBe(true);
    for (const status of [429, 500, 502, 503, 504])
      expect(isRetryable({ kind: 'answer', status, code: undefined })).toBe(true);
    expect(isRetryable({ kind: 'answer', status: 409, code: 'lock_timeout' })).toBe(true);
    expect(isRetryable({ kind: 'answer', status: 409, code: 'idempotency_key_in_use' })).toBe(true);
    for (const [status, code] of [
      [400, 'invalid_request'],
      [401, 'invalid_api_key'],
      [402, 'insufficient_funds'],
      [403, 'risk_blocked'],
      [404, 'resource_not_found'],
      [409, 'wallet_frozen'],
      [422, 'idempotency_key_reused'],
    ] as const)
      expect(isRetryable({ kind: 'answer', status, code })).toBe(false);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const policy = { ...default_retry_policy, base_delay_ms: 100, max_delay_ms: 1_000 };
    expect(backoffDelay_ms(0, policy, () => 0)).toBe(0);
    expect(backoffDelay_ms(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay_ms(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay_ms(10, policy, () => 0.999)).toBe(999);
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfter_ms('2', 0)).toBe(2_000);
    expect(retryAfter_ms('0.5', 0)).toBe(500);
    expect(retryAfter_ms(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfter_ms(null, 0)).toBeUndefined();
    expect(retryAfter_ms('soon', 0)).toBeUndefined();
  });

  it('stops when the attempts, the Retry-After bound or the total time are spent', () => {
    const policy = {
      ...default_retry_policy,
      max_retries: 2,
      total_ms_max: 10_000,
      retry_after_ms_max: 5_000,
    };
    expect(nextDelay_ms(0, 0, 1_000, policy)).toBe(1_000);
    expect(nextDelay_ms(2, 0, 1_000, policy)).toBeUndefined();
    expect(nextDelay_ms(0, 0, 6_000, policy)).toBeUndefined();
    expect(nextDelay_ms(1, 9_500, 1_000, policy)).toBeUndefined();
  });
});
