import type { Queryable } from '../packages/server/src/db/pool.js';

/**
 * Every table's size on disk with its indexes and TOAST (pg_total_relation_size), largest first.
 * A stand-in with the signature of the server's own `storageBytes` (packages/server/src/db/
 * storage.ts, being written beside this): once it is merged, import that instead and delete this.
 */
export async function storageBytes(db: Queryable): Promise<{ table: string; bytes: number }[]> {
  const sizes = await db.query<{ table: string; bytes: string }>(
    `SELECT c.relname AS table, pg_total_relation_size(c.oid)::text AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
      ORDER BY pg_total_relation_size(c.oid) DESC, c.relname`,
  );
  return sizes.rows.map((row) => ({ table: row.table, bytes: Number(row.bytes) }));
}
