import type { Queryable } from './pool.js';

/**
 * Bytes on disk per table of the public schema: heap, TOAST and every index
 * (pg_total_relation_size), largest first. A partitioned table counts as the sum of its
 * partitions, under the partitioned table's name, so `events` is one row however it is split.
 * Bytes are numbers, not money: a table would need 9 PB before they lose precision.
 */
export async function storageBytes(db: Queryable): Promise<{ table: string; bytes: number }[]> {
  const result = await db.query<{ table: string; bytes: string }>(
    `SELECT coalesce(parent.relname, c.relname)::text AS table, sum(pg_total_relation_size(c.oid))::text AS bytes
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
     LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
     LEFT JOIN pg_class parent ON parent.oid = i.inhparent AND parent.relkind = 'p'
     WHERE c.relkind = 'r'
     GROUP BY 1
     ORDER BY sum(pg_total_relation_size(c.oid)) DESC, 1`,
  );
  return result.rows.map((row) => ({ table: row.table, bytes: Number(row.bytes) }));
}

/** Bytes of each index of the public schema (partitions' indexes summed under their parent index). */
export async function indexBytes(db: Queryable): Promise<{ index: string; table: string; bytes: number }[]> {
  const result = await db.query<{ index: string; table: string; bytes: string }>(
    `SELECT coalesce(parent_index.relname, ic.relname)::text AS index,
            coalesce(parent_table.relname, tc.relname)::text AS table,
            sum(pg_relation_size(ic.oid))::text AS bytes
     FROM pg_index x
     JOIN pg_class ic ON ic.oid = x.indexrelid
     JOIN pg_class tc ON tc.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = tc.relnamespace AND n.nspname = 'public'
     LEFT JOIN pg_inherits ii ON ii.inhrelid = ic.oid
     LEFT JOIN pg_class parent_index ON parent_index.oid = ii.inhparent
     LEFT JOIN pg_inherits ti ON ti.inhrelid = tc.oid
     LEFT JOIN pg_class parent_table ON parent_table.oid = ti.inhparent AND parent_table.relkind = 'p'
     WHERE ic.relkind = 'i'
     GROUP BY 1, 2
     ORDER BY sum(pg_relation_size(ic.oid)) DESC, 1`,
  );
  return result.rows.map((row) => ({ index: row.index, table: row.table, bytes: Number(row.bytes) }));
}
