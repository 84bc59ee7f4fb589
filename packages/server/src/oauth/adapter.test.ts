import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { purgeExpiredPayloads } from './adapter.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("the authorization server's records", () => {
  it('are purged by the worker once expired, a bounded number per round, the live ones kept', async () => {
    await t.db.pool.query(
      `INSERT INTO oauth_payloads (kind, id, payload, expires_at) VALUES
         ('Session', 'gone-1', '{}', now() - interval '1 second'),
         ('Session', 'gone-2', '{}', now() - interval '1 second'),
         ('Session', 'gone-3', '{}', now() - interval '1 second'),
         ('Session', 'live', '{}', now() + interval '1 hour'),
         ('Grant', 'no-expiry', '{}', NULL)`,
    );
    expect(await purgeExpiredPayloads(t.db.pool, 2)).toBe(2);
    expect(await purgeExpiredPayloads(t.db.pool, 2)).toBe(1);
    expect(await purgeExpiredPayloads(t.db.pool, 2)).toBe(0);
    const left = await t.db.pool.query<{ id: string }>('SELECT id FROM oauth_payloads ORDER BY id');
    expect(left.rows.map((row) => row.id)).toEqual(['live', 'no-expiry']);
  });
});
