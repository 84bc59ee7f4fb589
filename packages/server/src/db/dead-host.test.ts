import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { type SilenceableProxy, startSilenceableProxy } from '../test-support/tcp-proxy.js';
import {
  createPool,
  inTransaction,
  isDatabaseUnavailable,
  type PoolTimeouts,
  unanswered_grace_ms,
} from './pool.js';

/**
 * A database machine that dies closes no socket: its connections just go silent. Without a limit
 * of our own a query would wait for TCP to give up, about 15 minutes, holding its pooled connection.
 */

let test_db: TestDatabase;
let proxy: SilenceableProxy;
const timeouts: PoolTimeouts = { statement_timeout_ms: 300, connection_timeout_ms: 1_000 };

beforeAll(async () => {
  test_db = await createTestDatabase({ migrated: false });
  const url = new URL(test_db.url);
  proxy = await startSilenceableProxy(url.hostname, Number(url.port));
});
afterAll(async () => {
  await proxy.close();
  await test_db.drop();
});

/** The test database's URL through the proxy, or with the proxy listed before the real server. */
function through(hosts: 'proxy' | 'proxy,live'): string {
  const url = new URL(test_db.url);
  const live = `${url.hostname}:${url.port}`;
  const list = hosts === 'proxy' ? `127.0.0.1:${proxy.port}` : `127.0.0.1:${proxy.port},${live}`;
  const query = hosts === 'proxy' ? '' : '?target_session_attrs=read-write';
  return `${url.protocol}//${url.username}:${url.password}@${list}${url.pathname}${query}`;
}

describe('a database host that goes silent', () => {
  it('fails queries in flight a grace after the statement timeout (503) and discards their connections', async () => {
    proxy.resume();
    const pool = createPool(through('proxy'), 2, timeouts);
    try {
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      proxy.silence();
      const started = Date.now();
      const errors = await Promise.all([
        pool.query('SELECT 1').catch((error: unknown) => error),
        inTransaction(pool, (client) => client.query('SELECT 1')).catch((error: unknown) => error),
      ]);
      const elapsed_ms = Date.now() - started;
      for (const error of errors) expect(isDatabaseUnavailable(error), String(error)).toBe(true);
      // The transaction's ROLLBACK waits its own turn, hence up to twice.
      expect(elapsed_ms).toBeGreaterThanOrEqual(timeouts.statement_timeout_ms + unanswered_grace_ms - 50);
      expect(elapsed_ms).toBeLessThan(2 * (timeouts.statement_timeout_ms + unanswered_grace_ms) + 2_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(pool.totalCount).toBe(0);
      proxy.resume();
      expect((await pool.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await pool.end();
    }
  }, 30_000);

  it('a silent host listed first is passed over after the connection timeout', async () => {
    proxy.silence();
    const pool = createPool(through('proxy,live'), 1, timeouts);
    try {
      const port = await pool.query<{ port: number }>('SELECT inet_server_port() AS port');
      expect(port.rows[0]?.port).toBe(Number(new URL(test_db.url).port));
    } finally {
      await pool.end();
    }
  }, 30_000);
});
