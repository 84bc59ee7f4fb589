import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { decodeKek } from '../crypto/kek.js';
import { hasKek, installKek, loadDataKeys } from '../crypto/keyring.js';
import { loadMigrations } from '../db/migrate.js';
import { createPool, type Pool } from '../db/pool.js';
import { withDatabase } from './global-setup.js';
import { test_kek_text } from './kek.js';

export interface TestDatabase {
  readonly url: string;
  readonly pool: Pool;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own, copied from the run's template. */
export async function createTestDatabase(
  options: { migrated: boolean } = { migrated: true },
): Promise<TestDatabase> {
  const admin_url = inject('admin_url');
  const name = `purse_test_${randomBytes(6).toString('hex')}`;
  const admin = createPool(admin_url, 1);
  await admin.query(
    options.migrated
      ? `CREATE DATABASE ${name} TEMPLATE ${inject('template_database')}`
      : `CREATE DATABASE ${name}`,
  );
  const url = withDatabase(admin_url, name);
  const pool = createPool(url, 10);
  if (options.migrated) await withDataKeys(pool);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * Applies, to a database created with `migrated: false`, the migrations before the one whose name
 * starts with `prefix`, and returns that one's SQL: to test a migration on rows written before it.
 */
export async function migrateUpTo(db: TestDatabase, prefix: string): Promise<string> {
  const migrations = await loadMigrations();
  const at = migrations.findIndex((migration) => migration.name.startsWith(prefix));
  if (at < 0) throw new Error(`no migration named ${prefix}...`);
  for (const migration of migrations.slice(0, at)) await db.pool.query(migration.sql);
  return migrations[at]?.sql ?? '';
}

/**
 * The test process's KEK (installed once), and the data keys every migrated test database needs
 * before anything seals: the process's keys are shared by its databases.
 */
async function withDataKeys(pool: Pool): Promise<void> {
  if (!hasKek()) installKek(decodeKek(test_kek_text, 'test KEK'));
  await loadDataKeys(pool);
}

/** Every row of every table of the public schema, as PostgreSQL prints it: a dump to search. */
export async function dumpAsText(pool: Pool): Promise<string> {
  const tables = await pool.query<{ name: string }>(
    "SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  const parts: string[] = [];
  for (const { name } of tables.rows) {
    const rows = await pool.query<{ row: string }>(`SELECT r::text AS row FROM ${name} r`);
    parts.push(`-- ${name}`, ...rows.rows.map((row) => row.row));
  }
  return parts.join('\n');
}
