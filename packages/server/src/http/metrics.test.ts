import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { createTestApp, type TestApp } from '../test-support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('GET /metrics', () => {
  it('counts requests by route pattern and status, with the pool and process metrics', async () => {
    await t.request({ method: 'GET', url: '/v1/wallets/wal_missing' });
    await t.request({ method: 'GET', url: '/v1/wallets/wal_missing' });
    const response = await t.request({ method: 'GET', url: '/metrics', key: null });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(
      /purse_http_request_duration_seconds_count\{method="GET",route="\/v1\/wallets\/:id",status_code="404"\} 2/,
    );
    expect(response.body).toMatch(/purse_db_pool_connections\{state="total"\} \d+/);
    expect(response.body).toContain('purse_process_cpu_user_seconds_total');
  });

  it('without a token, answers private addresses only: its figures include business volumes', async () => {
    for (const remoteAddress of ['127.0.0.1', '10.1.2.3', '192.168.0.9', 'fd00::5', '::1'])
      expect(
        (await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress })).statusCode,
        remoteAddress,
      ).toBe(200);
    for (const remoteAddress of ['93.184.216.34', '8.8.8.8', '2001:4860::1', '::ffff:8.8.4.4']) {
      const refused = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress });
      expect(refused.statusCode, remoteAddress).toBe(403);
      expect(refused.body).not.toContain('purse_');
    }
  });

  it('asks for the token when one is configured', async () => {
    const app = await buildApp({
      pool: t.db.pool,
      config: { ...t.config, metrics_token: 'scrape-me' },
      clock: t.clock,
    });
    try {
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      expect(
        (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } }))
          .statusCode,
      ).toBe(401);
      const ok = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-me' },
      });
      expect(ok.statusCode).toBe(200);
      // With the token, from anywhere.
      const remote = await app.inject({
        method: 'GET',
        url: '/metrics',
        remoteAddress: '93.184.216.34',
        headers: { authorization: 'Bearer scrape-me' },
      });
      expect(remote.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
