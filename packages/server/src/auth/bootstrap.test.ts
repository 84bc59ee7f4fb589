import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { runPurse, waitForReady } from '../test-support/process.js';
import { createApiKey, ensureBootstrapKey } from './keys-service.js';
import { generateSecret } from './secrets.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function keyCount(): Promise<number> {
  return (await t.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys')).rows[0]?.n ?? -1;
}

function holders(secret: string) {
  return t.request({ method: 'GET', url: '/v1/holders', key: secret });
}

/** Registers `secret` as the bootstrap key, as `purse serve` does, and returns the key's id. */
async function bootstrap(secret: string): Promise<string> {
  expect(await ensureBootstrapKey(t.db.pool, secret)).toEqual({ kind: 'ready' });
  const me = await t.request({ method: 'GET', url: '/v1/api_keys?limit=100', key: secret });
  const key = me.json().data.find((row: { name: string }) => row.name === 'Bootstrap admin key');
  const ids = await t.db.pool.query('SELECT id FROM api_keys WHERE secret_hash = sha256($1::text::bytea)', [
    secret,
  ]);
  expect(ids.rows[0]?.id).toBe(key?.id);
  return ids.rows[0]?.id;
}

describe('a bootstrap key that was rolled or revoked', () => {
  it('is never registered again after a roll, however many rolls and grace periods came after', async () => {
    for (const grace_periods of [[0], [3_600, 0], [3_600, 3_600]]) {
      const secret = generateSecret(false);
      const id = await bootstrap(secret);
      expect(await ensureBootstrapKey(t.db.pool, secret)).toEqual({ kind: 'ready' });
      for (const grace_period_s of grace_periods) {
        const rolled = await t.request({
          method: 'POST',
          url: `/v1/api_keys/${id}/roll`,
          payload: { grace_period_s },
        });
        expect(rolled.statusCode, rolled.body).toBe(200);
      }
      t.clock.advance(3_601_000);
      const before = await keyCount();
      expect(await ensureBootstrapKey(t.db.pool, secret)).toMatchObject({
        kind: 'retired',
        key_id: id,
        reason: 'rolled',
      });
      expect(await keyCount()).toBe(before);
      expect((await holders(secret)).statusCode).toBe(401);
    }
  });

  it('is never registered again after a revocation', async () => {
    const secret = generateSecret(true);
    const id = await bootstrap(secret);
    const revoked = await t.request({ method: 'POST', url: `/v1/api_keys/${id}/revoke`, key: t.live_key });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const before = await keyCount();
    expect(await ensureBootstrapKey(t.db.pool, secret)).toMatchObject({
      kind: 'retired',
      key_id: id,
      reason: 'revoked',
    });
    expect(await keyCount()).toBe(before);
    expect((await holders(secret)).statusCode).toBe(401);
  });

  it('cannot be registered by any other path either: the database refuses a retired secret', async () => {
    const secret = generateSecret(false);
    const id = await bootstrap(secret);
    await t.request({ method: 'POST', url: `/v1/api_keys/${id}/roll`, payload: { grace_period_s: 0 } });
    await expect(
      createApiKey(t.db.pool, { livemode: false, name: 'again', scopes: ['*'] }, secret),
    ).rejects.toThrow(/retired/);
    await expect(t.db.pool.query('DELETE FROM retired_api_key_secrets')).rejects.toThrow(/permanent/);
    await expect(
      t.db.pool.query('UPDATE retired_api_key_secrets SET reason = $1', ['revoked']),
    ).rejects.toThrow(/permanent/);
  });
});

describe('purse serve with a rolled PURSE_BOOTSTRAP_KEY', () => {
  it('says so at start-up, keeps serving, and keeps refusing the old secret', async () => {
    const secret = generateSecret(false);
    const id = await bootstrap(secret);
    await t.request({ method: 'POST', url: `/v1/api_keys/${id}/roll`, payload: { grace_period_s: 0 } });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = runPurse(['serve'], {
      DATABASE_URL: t.db.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      PURSE_BOOTSTRAP_KEY: secret,
    });
    try {
      await waitForReady(base);
      expect(server.output()).toMatch(/PURSE_BOOTSTRAP_KEY was rolled at .* refused for good/);
      const refused = await fetch(`${base}/v1/holders`, { headers: { authorization: `Bearer ${secret}` } });
      expect(refused.status).toBe(401);
      const admin = await fetch(`${base}/v1/holders`, { headers: { authorization: `Bearer ${t.test_key}` } });
      expect(admin.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 60_000);
});
