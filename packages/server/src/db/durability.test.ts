import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { weakCommitLevel } from './durability.js';
import { createPool } from './pool.js';

let test_db: TestDatabase;
beforeAll(async () => {
  test_db = await createTestDatabase({ migrated: false });
});
afterAll(() => test_db.drop());

describe('commit durability', () => {
  it('names synchronous_commit off and local, which acknowledge commits a crash or failover can lose', async () => {
    expect(await weakCommitLevel(test_db.pool)).toBeUndefined();
    for (const level of ['off', 'local', 'remote_apply'] as const) {
      const url = new URL(test_db.url);
      url.searchParams.set('options', `-c synchronous_commit=${level}`);
      const pool = createPool(url.toString(), 1);
      try {
        expect(await weakCommitLevel(pool)).toBe(level === 'remote_apply' ? undefined : level);
      } finally {
        await pool.end();
      }
    }
  });
});
