import type { Queryable } from '../db/pool.js';

/** Months of partitions kept ready ahead of the current one, so inserts rarely reach the default. */
export const partition_months_ahead = 2;

export interface EventPartition {
  readonly name: string;
  /** Null for the first partition, which starts at MINVALUE (the table before migration 0036). */
  readonly range_start: Date | null;
  readonly range_end: Date;
}

/**
 * Creates the monthly partitions of `events` for this month and the next ones (migration 0036's
 * events_add_partition, which runs as the owner) and returns how many it created. A month whose
 * events already went to the default partition is left there.
 */
export async function addEventPartitions(db: Queryable, now: Date): Promise<number> {
  const created = await db.query<{ created: boolean }>(
    `SELECT events_add_partition(date_trunc('month', $1::timestamptz, 'UTC') + make_interval(days => 32 * m)) AS created
     FROM generate_series(0, $2::int) AS m`,
    [now, partition_months_ahead],
  );
  return created.rows.filter((row) => row.created).length;
}

/** Every month's partition of the sequenced events (migration 0042) but the default, oldest first. */
export async function eventPartitions(db: Queryable): Promise<EventPartition[]> {
  const result = await db.query<EventPartition>(
    `SELECT name,
       substring(bound FROM 'FROM \\(''([^'']+)''\\)')::timestamptz AS range_start,
       substring(bound FROM 'TO \\(''([^'']+)''\\)')::timestamptz AS range_end
     FROM (SELECT c.relname::text AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'events_sequenced'::regclass) p
     WHERE bound <> 'DEFAULT'
     ORDER BY range_end`,
  );
  return result.rows;
}
