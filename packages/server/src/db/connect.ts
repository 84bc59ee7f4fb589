import type { Config } from '../config.js';
import { type EmbeddedDatabase, startEmbedded } from './embedded.js';
import { createPool, no_timeouts, type Pool, type PoolTimeouts } from './pool.js';

/** One command at a time; migrations hold a session lock on one connection. */
const maintenance_pool_size = 2;

export interface Database {
  readonly pool: Pool;
  /** The background worker's own connections, so a busy worker never starves the API (opened on first use). */
  readonly worker_pool: Pool;
  /** Migrations and operator commands (verify, keys): no statement timeout, they may run long. */
  readonly maintenance_pool: Pool;
  /** Set when this process started the embedded PostgreSQL and so must stop it. */
  readonly embedded: EmbeddedDatabase | undefined;
  readonly description: string;
  close(): Promise<void>;
}

/**
 * `DATABASE_URL` when set. Otherwise the embedded PostgreSQL under the data dir: reused when another
 * Purse process (say `purse serve`) already runs it, so `purse keys create` works beside a server,
 * else started here and stopped again by `close()`.
 */
export async function openDatabase(config: Config, log: (line: string) => void): Promise<Database> {
  if (config.database_url !== undefined) {
    return database(config, config.database_url, undefined, 'DATABASE_URL');
  }
  const embedded = await startEmbedded({
    data_dir: config.data_dir,
    port: config.embedded_pg_port,
    persistent: true,
    log,
    reuse_running: true,
  });
  const description = `embedded PostgreSQL in ${config.data_dir} on 127.0.0.1:${config.embedded_pg_port}`;
  return database(config, embedded.url, embedded.owned ? embedded : undefined, description);
}

function database(
  config: Config,
  url: string,
  embedded: EmbeddedDatabase | undefined,
  description: string,
): Database {
  const timeouts: PoolTimeouts = {
    statement_timeout_ms: config.db_statement_timeout_ms,
    connection_timeout_ms: config.db_connection_timeout_ms,
  };
  const pool = createPool(url, config.db_pool_size_max, timeouts);
  const worker_pool = createPool(url, config.worker_db_pool_size_max, timeouts);
  const maintenance_pool = createPool(url, maintenance_pool_size, no_timeouts);
  return {
    pool,
    worker_pool,
    maintenance_pool,
    embedded,
    description,
    async close() {
      await Promise.all([pool.end(), worker_pool.end(), maintenance_pool.end()]);
      await embedded?.stop();
    },
  };
}
