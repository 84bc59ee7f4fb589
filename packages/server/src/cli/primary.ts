import type { Config } from '../config.js';
import { connectionsAvailable, connectionsNeeded } from '../db/connection-budget.js';
import type { Pool } from '../db/pool.js';
import { childrenCombined } from '../metrics/cluster-aggregate.js';
import { listenMetricsEndpoint } from '../metrics/worker-endpoint.js';
import { bannerJson, startBanner } from './banner.js';
import { createLogger, type Logger } from './logger.js';
import { restart_policy } from './restarts.js';
import { stopAfterFailedStart } from './serve.js';
import { onShutdownSignal, orderedShutdown, type Part } from './shutdown.js';
import { announceBootstrapKey, apiUrl, openStore, readTls, type Store } from './start-steps.js';
import { type ChildRole, Supervisor } from './supervisor.js';

export interface PrimaryOptions {
  /** API processes to run (`--processes`, PURSE_PROCESSES). */
  readonly processes: number;
  readonly json: boolean;
}

/**
 * `purse serve --processes N`: this process does the one-time work (the embedded database if no
 * DATABASE_URL, migrations, the KEK and data keys, the admin key on a fresh database), then runs N
 * API processes sharing the port and one worker process (supervisor.ts), and prints the banner once
 * they are all ready. SIGINT/SIGTERM stop the API processes, then the worker, then the embedded
 * database, within the shutdown grace; a child that keeps crashing stops everything with exit 1.
 */
export async function servePrimary(config: Config, options: PrimaryOptions): Promise<void> {
  const log = createLogger(config);
  const started: Part[] = [];
  // The supervisor and the shutdown refer to each other: a supervisor that gives up shuts down.
  const supervisor: Supervisor = new Supervisor({
    log,
    policy: restart_policy,
    giveUp: () => shutdown.begin('a process kept crashing', 1),
  });
  const shutdown = orderedShutdown(
    log,
    config.limits.shutdown_grace_ms,
    started,
    () => supervisor.stopped_unclean,
  );
  onShutdownSignal(shutdown, log, () => supervisor.killAll());
  // However the primary ends (a forced shutdown, an uncaught error), no child outlives it.
  process.on('exit', () => supervisor.killAll());
  try {
    await start(config, options, { log, started, supervisor });
  } catch (error) {
    await stopAfterFailedStart(error, started, log, config);
  }
}

async function start(
  config: Config,
  options: PrimaryOptions,
  own: { readonly log: Logger; readonly started: Part[]; readonly supervisor: Supervisor },
): Promise<void> {
  const { log, started, supervisor } = own;
  const store = await openStore(config, log, started, { migrate: true });
  // A certificate that cannot be read stops the start here, not in a crash loop of every child.
  await readTls(config);
  const admin_secret = await announceBootstrapKey(config, store.db.pool, log);
  await warnIfConnectionsShort(config, options.processes, store.db.pool, log);
  if (config.redis_url === undefined && options.processes > 1)
    log.warn(
      { processes: options.processes },
      `without REDIS_URL each API process counts rate limits alone: a key may make up to ${options.processes} times its limit`,
    );
  // The children open their own connections: the primary keeps none, only the embedded PostgreSQL.
  store.stopDataKeyRefresh();
  await store.db.closePools();
  // Closed in reverse: the API processes first, then the worker, then the database.
  started.push({ name: 'worker process', close: () => supervisor.stopRole('worker') });
  started.push({ name: 'api processes', close: () => supervisor.stopRole('api') });
  const roles: ChildRole[] = ['worker', ...Array.from({ length: options.processes }, () => 'api' as const)];
  await supervisor.start(roles, childEnvironment(config, store));
  if (config.metrics_port !== undefined) {
    const endpoint = await listenMetricsEndpoint(
      { host: config.host, port: config.metrics_port, token: config.metrics_token },
      childrenCombined(),
    );
    started.push({ name: 'metrics', close: () => endpoint.close() });
    log.info({ port: endpoint.port }, "every process's metrics, combined, served");
  }
  process.stdout.write(
    (options.json ? bannerJson : startBanner)({
      api_url: apiUrl(config),
      admin_secret,
      database_url: store.db.embedded?.url,
      kek_file_created: store.kek.source === 'generated' ? store.kek.file : undefined,
      processes: { api: options.processes, worker: 1, primary_pid: process.pid },
    }),
  );
}

/**
 * What every child gets on top of the primary's environment: the database the primary opened, as
 * the application role only (children never migrate, so they get no owner's password), the KEK
 * file when the KEK came from the data directory, the same cookie keys for every API process (a
 * consent page posted to another process must verify), and the log format (`--json`).
 */
function childEnvironment(config: Config, store: Store): Record<string, string> {
  return {
    DATABASE_URL: store.db.url,
    DATABASE_MIGRATION_URL: '',
    ...(store.kek.source === 'environment' || store.kek.file === undefined
      ? {}
      : { PURSE_KEK_FILE: store.kek.file }),
    PURSE_OAUTH_COOKIE_KEYS: config.oauth.cookie_keys.join(','),
    LOG_FORMAT: config.log_format,
  };
}

/** Logs a warning when the pools together may ask PostgreSQL for more connections than it takes. */
async function warnIfConnectionsShort(
  config: Config,
  processes: number,
  pool: Pool,
  log: Logger,
): Promise<void> {
  const needed = connectionsNeeded({
    api_processes: processes,
    db_pool_size_max: config.db_pool_size_max,
    worker_db_pool_size_max: config.worker_db_pool_size_max,
  });
  const available = await connectionsAvailable(pool);
  if (needed <= available) return;
  log.warn(
    {
      needed,
      available,
      processes,
      db_pool_size_max: config.db_pool_size_max,
      worker_db_pool_size_max: config.worker_db_pool_size_max,
    },
    'the pools may open more connections than PostgreSQL takes: lower PURSE_DB_POOL_SIZE_MAX or raise max_connections (docs/operations.md, "Several processes")',
  );
}
