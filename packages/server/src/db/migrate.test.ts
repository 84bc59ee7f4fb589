import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { loadMigrations, migrate, migrationsApplied } from './migrate.js';
import { createPool } from './pool.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
});
afterAll(() => db.drop());

describe('migrations', () => {
  it('applies every file once even when processes start together', async () => {
    expect(await migrationsApplied(db.pool)).toBe(false);
    const pools = [createPool(db.url, 2), createPool(db.url, 2), createPool(db.url, 2)];
    const results = await Promise.all(pools.map((pool) => migrate(pool)));
    await Promise.all(pools.map((pool) => pool.end()));
    const names = (await loadMigrations()).map((migration) => migration.name);
    expect(results.flat().sort()).toEqual(names);
    const recorded = await db.pool.query<{ name: string }>(
      'SELECT name FROM schema_migrations ORDER BY name',
    );
    expect(recorded.rows.map((row) => row.name)).toEqual(names);
    expect(await migrationsApplied(db.pool)).toBe(true);
  });

  it('does nothing when re-run, as on every restart', async () => {
    expect(await migrate(db.pool)).toEqual([]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    await db.pool.query(
      "UPDATE schema_migrations SET checksum = 'edited' WHERE name = '0001_foundation.sql'",
    );
    await expect(migrate(db.pool)).rejects.toThrow(/changed after it was applied/);
  });
});
