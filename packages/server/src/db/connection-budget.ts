import type { Queryable } from './pool.js';

export interface PoolSizes {
  /** API processes, each with a pool of `db_pool_size_max` connections. */
  readonly api_processes: number;
  readonly db_pool_size_max: number;
  /** The worker process's pool. */
  readonly worker_db_pool_size_max: number;
}

/**
 * The most connections `purse serve --processes N` opens once started: every API process's pool
 * full, and the worker process's pool plus the one connection its own API pool keeps for data-key
 * refreshes. The primary keeps none. Each `purse worker` elsewhere adds the worker's share again.
 */
export function connectionsNeeded(sizes: PoolSizes): number {
  for (const [name, value] of Object.entries(sizes))
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`${name} must be a positive count, got ${value}`);
  return sizes.api_processes * sizes.db_pool_size_max + sizes.worker_db_pool_size_max + 1;
}

/**
 * The connections a role that is no superuser may open: `max_connections` less the slots
 * PostgreSQL keeps for superusers and, from PostgreSQL 16, for `pg_use_reserved_connections`.
 */
export async function connectionsAvailable(db: Queryable): Promise<number> {
  const result = await db.query<{ available: number }>(
    `SELECT current_setting('max_connections')::int
            - current_setting('superuser_reserved_connections')::int
            - coalesce(current_setting('reserved_connections', true)::int, 0) AS available`,
  );
  const available = result.rows[0]?.available;
  if (available === undefined) throw new Error('PostgreSQL did not say how many connections it takes');
  return available;
}
