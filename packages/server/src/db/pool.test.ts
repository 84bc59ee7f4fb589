import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { type Database, openDatabase } from './connect.js';
import { createPool, inTransaction, isDatabaseUnavailable } from './pool.js';

let test_db: TestDatabase;
let db: Database;
beforeAll(async () => {
  test_db = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: test_db.url,
    PURSE_DB_POOL_SIZE_MAX: '1',
    PURSE_WORKER_DB_POOL_SIZE_MAX: '1',
    PURSE_DB_STATEMENT_TIMEOUT_MS: '300',
    PURSE_DB_CONNECTION_TIMEOUT_MS: '300',
  });
  db = await openDatabase(config, () => undefined);
});
afterAll(async () => {
  await db.close();
  await test_db.drop();
});

async function failure(work: Promise<unknown>): Promise<{ error: unknown; elapsed_ms: number }> {
  const started = Date.now();
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error, elapsed_ms: Date.now() - started };
}

describe('database timeouts', () => {
  it('PostgreSQL cancels a statement past db_statement_timeout_ms, lock waits included, on the API and worker pools', async () => {
    for (const pool of [db.pool, db.worker_pool]) {
      const slow = await failure(pool.query('SELECT pg_sleep(5)'));
      expect((slow.error as { code?: string }).code).toBe('57014');
      expect(slow.elapsed_ms).toBeLessThan(3_000);
      expect(isDatabaseUnavailable(slow.error)).toBe(true);
    }
    // A row lock held elsewhere: the wait is cut too.
    const holder = await test_db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(42)');
      const waiting = await failure(db.pool.query('SELECT pg_advisory_xact_lock(42)'));
      expect((waiting.error as { code?: string }).code).toBe('57014');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });

  it('the worker has a pool of its own, sized by worker_db_pool_size_max, so it cannot take the API connections', async () => {
    expect(db.worker_pool).not.toBe(db.pool);
    expect(db.worker_pool.options.max).toBe(1);
    const held = await db.worker_pool.connect();
    try {
      // The worker's only connection is busy; the API still gets one at once.
      expect((await db.pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    } finally {
      held.release();
    }
  });

  it('maintenance (migrations, verify) has no statement timeout', async () => {
    const result = await db.maintenance_pool.query('SELECT pg_sleep(0.5), current_setting($1) AS timeout', [
      'statement_timeout',
    ]);
    expect(result.rows[0]?.timeout).toBe('0');
  });

  it('a caller waiting past db_connection_timeout_ms for a full pool gets an error, not an endless wait', async () => {
    const held = await db.pool.connect();
    try {
      const waited = await failure(db.pool.connect());
      expect(waited.elapsed_ms).toBeLessThan(3_000);
      expect(isDatabaseUnavailable(waited.error)).toBe(true);
    } finally {
      held.release();
    }
    // The pool works again once a connection is free.
    expect((await db.pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
  });
});

describe('broken clients', () => {
  it('a client released inside a transaction is closed, never handed to the next caller', async () => {
    const pool = createPool(test_db.url, 1);
    try {
      const client = await pool.connect();
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      await client.query('BEGIN');
      client.release();
      const next = await pool.connect();
      const next_pid = (await next.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      expect(next.getTransactionStatus()).toBe('I');
      expect(next_pid).not.toBe(pid);
      next.release();
    } finally {
      await pool.end();
    }
  });

  it('inTransaction survives its backend being terminated mid-transaction, and the pool replaces the connection', async () => {
    const pool = createPool(test_db.url, 1);
    try {
      const cut = await failure(
        inTransaction(pool, async (client) => {
          const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
          await test_db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
          // Between two queries the client emits 'error': without a listener the process would die.
          await new Promise((resolve) => setTimeout(resolve, 200));
          await client.query('SELECT 1');
        }),
      );
      expect(isDatabaseUnavailable(cut.error)).toBe(true);
      expect(
        await inTransaction(pool, async (client) => (await client.query('SELECT 1 AS one')).rows[0]),
      ).toEqual({
        one: 1,
      });
    } finally {
      await pool.end();
    }
  });
});
