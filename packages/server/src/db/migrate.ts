import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, Pool } from './pool.js';

// Outside src/ so the compiled dist/ finds them at the same relative path without a copy step.
const migrations_dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
/** Any constant shared by every Purse process; it only has to differ from other advisory locks we take. */
export const migration_lock_id = 7_270_185_001;

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

let loaded: Migration[] | undefined;

/**
 * The migration files never change while a process runs, so they are read once. Read in turn, not
 * as forty promises: a quarter of a megabyte from the page cache, about 2 ms against 8 at every
 * start of a command.
 */
export async function loadMigrations(): Promise<Migration[]> {
  loaded ??= readMigrations(migrations_dir);
  return loaded;
}

function readMigrations(dir: string): Migration[] {
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  return names.map((name) => {
    const sql = readFileSync(path.join(dir, name), 'utf8');
    return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

/**
 * Applies pending migrations in name order, each in its own transaction, recording each in
 * `schema_migrations`. A session-level advisory lock serialises processes that start together; the
 * second one waits, then finds nothing left to do. An applied migration whose file changed is an
 * error: history is never rewritten.
 */
export async function migrate(pool: Pool): Promise<string[]> {
  const migrations = await loadMigrations();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [migration_lock_id]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    await ownerAloneWritesHistory(client);
    const applied = new Map<string, string>();
    const rows = await client.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM schema_migrations',
    );
    for (const row of rows.rows) applied.set(row.name, row.checksum);
    const done: string[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum)
          throw new Error(`migration ${migration.name} changed after it was applied`);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [migration_lock_id]).catch(() => undefined);
    client.release();
  }
}

/**
 * The application role may read `schema_migrations` (for /readyz) but not write it: rows deleted
 * there would have the next start run migrations again. The default privileges that give it every
 * table the owner creates (db/roles.ts) give it this one too, so every grant of a write to anyone
 * but the owner is revoked here, at each run.
 */
async function ownerAloneWritesHistory(client: Client): Promise<void> {
  await client.query(`DO $$
    DECLARE grantee text;
    BEGIN
      FOR grantee IN
        SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE acl.grantee::regrole::text END
        FROM pg_class c, aclexplode(c.relacl) acl
        WHERE c.oid = 'schema_migrations'::regclass AND acl.grantee <> c.relowner
          AND acl.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
      LOOP
        EXECUTE 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM ' || grantee;
      END LOOP;
    END $$`);
}

/** For /readyz: true when every migration file is recorded as applied. */
export async function migrationsApplied(pool: Pool): Promise<boolean> {
  const expected = await loadMigrations();
  const exists = await pool.query<{ found: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS found",
  );
  if (!exists.rows[0]?.found) return false;
  const rows = await pool.query<{ name: string }>('SELECT name FROM schema_migrations');
  const applied = new Set(rows.rows.map((row) => row.name));
  return expected.every((migration) => applied.has(migration.name));
}
