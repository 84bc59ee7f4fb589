import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { createPool, inTransaction, isDatabaseUnavailable, type Pool } from './pool.js';

let test_db: TestDatabase;
let dead_port: number;
beforeAll(async () => {
  test_db = await createTestDatabase({ migrated: false });
  dead_port = await freePort();
});
afterAll(() => test_db.drop());

/** The test database's URL with `hosts` in place of its one host, and `target`. */
function listing(hosts: string[], target: string): string {
  const url = new URL(test_db.url);
  const live = `${url.hostname}:${url.port}`;
  const list = hosts.map((host) => (host === 'live' ? live : host)).join(',');
  return `${url.protocol}//${url.username}:${url.password}@${list}${url.pathname}?target_session_attrs=${target}`;
}

async function portOf(pool: Pool): Promise<number> {
  return (await pool.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0]?.port ?? 0;
}

describe('multi-host connection strings', () => {
  it('a write on a session that turned read-only is a 503 (a primary being demoted), not a 500', async () => {
    const pool = createPool(test_db.url, 1);
    try {
      const error = await inTransaction(pool, async (client) => {
        await client.query('SET TRANSACTION READ ONLY');
        await client.query('CREATE TEMPORARY SEQUENCE demoted');
      }).catch((caught: unknown) => caught);
      expect((error as { code?: string }).code).toBe('25006');
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('skips a host that does not answer and keeps the first suitable one', async () => {
    const pool = createPool(listing([`127.0.0.1:${dead_port}`, 'live'], 'read-write'), 2, {
      statement_timeout_ms: 0,
      connection_timeout_ms: 2_000,
    });
    try {
      expect(await portOf(pool)).toBe(Number(new URL(test_db.url).port));
    } finally {
      await pool.end();
    }
  });

  it('refuses a session that does not fit (a primary for standby) with 08001, a 503', async () => {
    const pool = createPool(listing(['live'], 'standby'), 1, {
      statement_timeout_ms: 0,
      connection_timeout_ms: 2_000,
    });
    try {
      const error = await pool.query('SELECT 1').catch((caught: unknown) => caught);
      expect((error as { code?: string }).code).toBe('08001');
      expect(String(error)).toMatch(/no host is standby: .*a primary, read-write/);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('checks every new connection: one to a host that turned read-only fails, and it moves back once writable', async () => {
    const admin = new pg.Client({ connectionString: test_db.url });
    await admin.connect();
    const database = new URL(test_db.url).pathname.slice(1);
    const pool = createPool(listing(['live'], 'read-write'), 1, {
      statement_timeout_ms: 0,
      connection_timeout_ms: 2_000,
    });
    try {
      expect(await portOf(pool)).toBeGreaterThan(0);
      await admin.query(`ALTER DATABASE ${database} SET default_transaction_read_only = on`);
      // The pooled connection predates the change; a new one sees it.
      const pooled = await pool.connect();
      pooled.release(new Error('drop it'));
      const refused = await pool.query('SELECT 1').catch((caught: unknown) => caught);
      expect((refused as { code?: string }).code).toBe('08001');
      await admin.query(`ALTER DATABASE ${database} SET default_transaction_read_only = off`);
      expect(await portOf(pool)).toBeGreaterThan(0);
    } finally {
      await pool.end();
      await admin.query(`ALTER DATABASE ${database} RESET default_transaction_read_only`);
      await admin.end();
    }
  });
});
