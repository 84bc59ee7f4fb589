import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { expectProblem } from '../test-support/money.js';
import { memoryLimiter, type RateLimiter } from './limiter.js';
import { redisLimiter } from './redis.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    rate_limit_requests_max: 5,
    rate_limit_bound_requests_max: 2,
    rate_limit_window_ms: 10_000,
  });
  // Start at the beginning of a window, so the test decides when it ends.
  t.clock.advance(10_000 - (t.clock.now().getTime() % 10_000));
});
afterAll(() => t.close());
// Each test starts in a fresh window: the admin key that sets tests up is rate limited too.
beforeEach(() => {
  t.clock.advance(10_000);
});

function get(key: string) {
  return t.request({ method: 'GET', url: '/v1/assets', key });
}

describe('rate limits', () => {
  it('answer a burst above the limit with 429 and Retry-After, then reset with the window', async () => {
    const key = await createKey(t, { scopes: ['assets:read'] });
    const burst = await Promise.all(Array.from({ length: 8 }, () => get(key.secret)));
    const statuses = burst.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const ok = burst.find((response) => response.statusCode === 200);
    expect(ok?.headers['ratelimit-limit']).toBe('5');
    expect(ok?.headers['ratelimit-reset']).toBe('10');
    const remaining = burst.map((response) => Number(response.headers['ratelimit-remaining'])).sort();
    expect(remaining).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
    const limited = burst.find((response) => response.statusCode === 429);
    expect(limited?.headers['retry-after']).toBe('10');
    expectProblem(limited as NonNullable<typeof limited>, 429, 'rate_limited', undefined);
    t.clock.advance(4_000);
    expect((await get(key.secret)).headers['retry-after']).toBe('6');
    t.clock.advance(6_000);
    const fresh = await get(key.secret);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers['ratelimit-remaining']).toBe('4');
  });

  it('counts each key on its own, and a key may have its own limit', async () => {
    const one = await createKey(t, { scopes: ['assets:read'] });
    const roomy = await createKey(t, { scopes: ['assets:read'], rate_limit_requests_max: 20 });
    for (let i = 0; i < 5; i += 1) expect((await get(one.secret)).statusCode).toBe(200);
    expect((await get(one.secret)).statusCode).toBe(429);
    for (let i = 0; i < 20; i += 1) expect((await get(roomy.secret)).statusCode).toBe(200);
    const over = await get(roomy.secret);
    expect(over.statusCode).toBe(429);
    expect(over.headers['ratelimit-limit']).toBe('20');
    const lowered = await t.request({
      method: 'POST',
      url: `/v1/api_keys/${roomy.id}`,
      payload: { rate_limit_requests_max: null },
    });
    expect(lowered.json().rate_limit_requests_max).toBeNull();
  });

  it('gives restricted and policy-bound keys the tighter default', async () => {
    const wallet = (
      await t.request({ method: 'POST', url: '/v1/wallets', payload: { currency: 'USD' } })
    ).json().id;
    const restricted = await createKey(t, {
      scopes: ['assets:read'],
      restrictions: { wallet_ids: [wallet] },
    });
    const bound = await createKey(t, {
      scopes: ['assets:read'],
      spend_policy: { limits: [{ currency: 'USD', daily_max: '10.00' }] },
    });
    const backend = await createKey(t, { scopes: ['assets:read'] });
    for (const key of [restricted, bound]) {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await get(key.secret)).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
    }
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await get(backend.secret));
    expect(answers.map((response) => response.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[0]?.headers['ratelimit-limit']).toBe('5');
  });

  it('defaults to a limit a platform backend does not reach, and a tight one for agents', () => {
    const defaults = loadConfig({}).limits;
    expect(defaults.rate_limit_requests_max).toBe(10_000);
    expect(defaults.rate_limit_bound_requests_max).toBe(100);
    expect(defaults.rate_limit_window_ms).toBe(1_000);
    const set = loadConfig({
      PURSE_RATE_LIMIT_REQUESTS_MAX: '50000',
      PURSE_RATE_LIMIT_BOUND_REQUESTS_MAX: '20',
    }).limits;
    expect([set.rate_limit_requests_max, set.rate_limit_bound_requests_max]).toEqual([50_000, 20]);
  });

  it('does not write a 429 into the audit trail or run the request', async () => {
    const key = await createKey(t, { scopes: ['holders:write'] });
    const before = (await t.db.pool.query('SELECT count(*)::int AS n FROM holders')).rows[0].n;
    const responses = [];
    for (let i = 0; i < 7; i += 1)
      responses.push(
        await t.request({ method: 'POST', url: '/v1/holders', key: key.secret, payload: { name: `h${i}` } }),
      );
    expect(responses.map((response) => response.statusCode)).toEqual([201, 201, 201, 201, 201, 429, 429]);
    expect((await t.db.pool.query('SELECT count(*)::int AS n FROM holders')).rows[0].n).toBe(before + 5);
    const audited = await t.db.pool.query('SELECT outcome_status FROM audit_logs WHERE actor = $1', [key.id]);
    expect(audited.rows.map((row) => row.outcome_status)).toEqual([201, 201, 201, 201, 201]);
  });
});

/** Both limiters count the same way; several app instances share the Redis one. */
const limiters: [string, () => RateLimiter][] = [['memory', () => memoryLimiter()]];
const redis_url = process.env.REDIS_URL;
if (redis_url !== undefined) limiters.push(['redis', () => redisLimiter(redis_url)]);

describe.each(limiters)('the %s limiter', (_name, make) => {
  it('counts hits per key and window atomically', async () => {
    const limiter = make();
    try {
      const key = `test-${Math.random()}`;
      const hits = await Promise.all(Array.from({ length: 50 }, () => limiter.hit(key, 60_000, 120_000)));
      expect(hits.map((hit) => hit.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      expect(hits[0]?.reset_ms).toBe(180_000);
      expect((await limiter.hit(key, 60_000, 180_000)).count).toBe(1);
      expect((await limiter.hit(`${key}-other`, 60_000, 120_000)).count).toBe(1);
    } finally {
      await limiter.close();
    }
  });
});

describe.runIf(redis_url !== undefined)('several API processes with REDIS_URL', () => {
  it('share one limit per key', async () => {
    const config = { ...t.config, redis_url };
    const apps = await Promise.all([0, 1].map(() => buildApp({ pool: t.db.pool, config, clock: t.clock })));
    try {
      const key = await createKey(t, { scopes: ['assets:read'] });
      const statuses = [];
      for (let i = 0; i < 8; i += 1) {
        const app = apps[i % 2];
        const response = await app?.inject({
          method: 'GET',
          url: '/v1/assets',
          headers: { authorization: `Bearer ${key.secret}` },
        });
        statuses.push(response?.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });
});

describe('an unreachable Redis', () => {
  it('lets requests through rather than failing them', async () => {
    const rate_limiter = redisLimiter('redis://127.0.0.1:1');
    const app = await buildApp({ pool: t.db.pool, config: t.config, clock: t.clock, rate_limiter });
    try {
      const key = await createKey(t, { scopes: ['assets:read'] });
      const started = Date.now();
      const response = await app.inject({
        method: 'GET',
        url: '/v1/assets',
        headers: { authorization: `Bearer ${key.secret}` },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await app.close();
    }
  });
});
