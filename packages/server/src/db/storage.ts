import type { Queryable } from './pool.js';

/**
 * Bytes on disk per table of the public schema: heap, TOAST and every index
 * (pg_total_relation_size), largest first. A partitioned table counts as the sum of its
 * partitions, under the name of the tree's root, so `events` is one row however it is split.
 * Bytes are numbers, not money: a table would need 9 PB before they lose precision.
 */
export async function storageBytes(db: Queryable): Promise<{ table: string; bytes: number }[]> {
  const result = await db.query<{ table: string; bytes: string }>(
    `SELECT coalesce(pg_partition_root(c.oid), c.oid::regclass)::text AS table, sum(pg_total_relation_size(c.oid))::text AS bytes
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
     WHERE c.relkind = 'r'
     GROUP BY 1
     ORDER BY sum(pg_total_relation_size(c.oid)) DESC, 1`,
  );
  return result.rows.map((row) => ({ table: row.table, bytes: Number(row.bytes) }));
}

/** Bytes of each index of the public schema (partitions' indexes summed under the root of their index tree). */
export async function indexBytes(db: Queryable): Promise<{ index: string; table: string; bytes: number }[]> {
  const result = await db.query<{ index: string; table: string; bytes: string }>(
    `SELECT coalesce(pg_partition_root(ic.oid), ic.oid::regclass)::text AS index,
            coalesce(pg_partition_root(tc.oid), tc.oid::regclass)::text AS table,
            sum(pg_relation_size(ic.oid))::text AS bytes
     FROM pg_index x
     JOIN pg_class ic ON ic.oid = x.indexrelid
     JOIN pg_class tc ON tc.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = tc.relnamespace AND n.nspname = 'public'
     WHERE ic.relkind = 'i'
     GROUP BY 1, 2
     ORDER BY sum(pg_relation_size(ic.oid)) DESC, 1`,
  );
  return result.rows.map((row) => ({ index: row.index, table: row.table, bytes: Number(row.bytes) }));
}
