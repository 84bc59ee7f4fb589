import type { Config } from '../config.js';
import { type EmbeddedDatabase, startEmbedded } from './embedded.js';
import { createPool, type Pool } from './pool.js';

export interface Database {
  readonly pool: Pool;
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
    return database(createPool(config.database_url, config.db_pool_size_max), undefined, 'DATABASE_URL');
  }
  const embedded = await startEmbedded({
    data_dir: config.data_dir,
    port: config.embedded_pg_port,
    persistent: true,
    log,
    reuse_running: true,
  });
  const description = `embedded PostgreSQL in ${config.data_dir} on 127.0.0.1:${config.embedded_pg_port}`;
  return database(
    createPool(embedded.url, config.db_pool_size_max),
    embedded.owned ? embedded : undefined,
    description,
  );
}

function database(pool: Pool, embedded: EmbeddedDatabase | undefined, description: string): Database {
  return {
    pool,
    embedded,
    description,
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}
