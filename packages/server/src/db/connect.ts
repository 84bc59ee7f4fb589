import type { Config } from '../config.js';
import type { EmbeddedDatabase } from './embedded.js';
import { createPool, no_timeouts, type Pool, type PoolTimeouts } from './pool.js';
import { grantApplicationRole } from './roles.js';

/** One command at a time; migrations hold a session lock on one connection. */
const maintenance_pool_size = 2;

export interface Database {
  readonly pool: Pool;
  /** The background worker's own connections, so a busy worker never starves the API (opened on first use). */
  readonly worker_pool: Pool;
  /**
   * Migrations and operator commands (verify, keys): no statement timeout, they may run long. The
   * schema owner's (DATABASE_MIGRATION_URL, or the embedded superuser), while `pool` and
   * `worker_pool` log in as the application role, which owns nothing (db/roles.ts).
   */
  readonly maintenance_pool: Pool;
  /** DATABASE_REPLICA_URL's hot standby for the heavy reads (db/replica.ts), when set. */
  readonly replica_pool: Pool | undefined;
  /** Set when this process started the embedded PostgreSQL and so must stop it. */
  readonly embedded: EmbeddedDatabase | undefined;
  /** The application role's URL that `pool` uses: what a child process of `serve --processes` is given. */
  readonly url: string;
  readonly description: string;
  /** Ends the pools (again: a no-op) and leaves the embedded PostgreSQL running. */
  closePools(): Promise<void>;
  /** Ends the pools, then stops the embedded PostgreSQL if this process started it. */
  close(): Promise<void>;
}

/**
 * `DATABASE_URL` when set. Otherwise the embedded PostgreSQL under the data dir: reused when another
 * Purse process (say `purse serve`) already runs it, so `purse keys create` works beside a server,
 * else started here and stopped again by `close()`. When the owner and the application role
 * differ, the owner grants the application role its rows first, so the migrations that follow
 * create tables it can use.
 */
export async function openDatabase(config: Config, log: (line: string) => void): Promise<Database> {
  if (config.database_url !== undefined) {
    const owner_url = config.database_migration_url ?? config.database_url;
    const db = database(config, config.database_url, owner_url, undefined, 'DATABASE_URL');
    if (owner_url === config.database_url) return db;
    return granted(db, () => roleOf(db.pool));
  }
  // Loaded only here: a process given DATABASE_URL (`purse verify` from cron) need not load it.
  const { embedded_application_role, startEmbedded } = await import('./embedded.js');
  const embedded = await startEmbedded({
    data_dir: config.data_dir,
    port: config.embedded_pg_port,
    persistent: true,
    log,
    reuse_running: true,
  });
  const description = `embedded PostgreSQL in ${config.data_dir} on 127.0.0.1:${config.embedded_pg_port}`;
  const db = database(
    config,
    embedded.url,
    embedded.owner_url,
    embedded.owned ? embedded : undefined,
    description,
  );
  return granted(db, async () => embedded_application_role);
}

/** The database once its owner has granted the application role its rows; closed again if that fails. */
async function granted(db: Database, role: () => Promise<string>): Promise<Database> {
  try {
    await grantApplicationRole(db.maintenance_pool, await role());
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * The role DATABASE_URL logs in as: asked rather than read from the URL, which may leave it to
 * PGUSER or the OS account. Given apart from the owner, it must be no superuser: a superuser can
 * switch the triggers off whatever it owns, and the separation would only look real.
 */
async function roleOf(pool: Pool): Promise<string> {
  const result = await pool.query<{ role: string; superuser: boolean }>(
    'SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('PostgreSQL did not say which role DATABASE_URL logs in as');
  if (row.superuser)
    throw new Error(
      `DATABASE_URL logs in as ${row.role}, a superuser, beside DATABASE_MIGRATION_URL: give it a role that owns nothing (docs/operations.md, "Database roles")`,
    );
  return row.role;
}

function database(
  config: Config,
  url: string,
  owner_url: string,
  embedded: EmbeddedDatabase | undefined,
  description: string,
): Database {
  const timeouts: PoolTimeouts = {
    statement_timeout_ms: config.db_statement_timeout_ms,
    connection_timeout_ms: config.db_connection_timeout_ms,
  };
  const pool = createPool(url, config.db_pool_size_max, timeouts);
  const worker_pool = createPool(url, config.worker_db_pool_size_max, timeouts);
  const maintenance_pool = createPool(owner_url, maintenance_pool_size, no_timeouts);
  const replica_pool =
    config.database_replica_url === undefined
      ? undefined
      : createPool(config.database_replica_url, config.db_pool_size_max, timeouts);
  let pools_closed: Promise<void> | undefined;
  const closePools = () => {
    pools_closed ??= Promise.all([
      pool.end(),
      worker_pool.end(),
      maintenance_pool.end(),
      replica_pool?.end(),
    ]).then(() => undefined);
    return pools_closed;
  };
  return {
    pool,
    worker_pool,
    maintenance_pool,
    replica_pool,
    embedded,
    url,
    description,
    closePools,
    async close() {
      await closePools();
      await embedded?.stop();
    },
  };
}
