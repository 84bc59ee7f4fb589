import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { connectionsAvailable, connectionsNeeded } from './connection-budget.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('the connections several processes need', () => {
  it('counts each API process pool and the worker pool with its one data-key connection', () => {
    // The defaults: 3 API processes fit PostgreSQL's default 100 connections, 5 do not.
    expect(connectionsNeeded({ api_processes: 3, db_pool_size_max: 20, worker_db_pool_size_max: 10 })).toBe(
      71,
    );
    expect(connectionsNeeded({ api_processes: 5, db_pool_size_max: 20, worker_db_pool_size_max: 10 })).toBe(
      111,
    );
    expect(connectionsNeeded({ api_processes: 1, db_pool_size_max: 1, worker_db_pool_size_max: 1 })).toBe(3);
    expect(() =>
      connectionsNeeded({ api_processes: 0, db_pool_size_max: 20, worker_db_pool_size_max: 10 }),
    ).toThrow(/api_processes/);
  });

  it('reads what the server takes: max_connections less its reserved slots', async () => {
    const show = async (name: string) =>
      Number((await db.pool.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name]);
    // reserved_connections came with PostgreSQL 16.
    const reserved = (await show('server_version_num')) >= 160_000 ? await show('reserved_connections') : 0;
    const expected =
      (await show('max_connections')) - (await show('superuser_reserved_connections')) - reserved;
    expect(expected).toBeGreaterThan(0);
    expect(await connectionsAvailable(db.pool)).toBe(expected);
  });
});
