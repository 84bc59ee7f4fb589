import { readFile } from 'node:fs/promises';
import { buildApp } from '../app.js';
import { ensureBootstrapKey } from '../auth/keys-service.js';
import type { Config } from '../config.js';
import { installProcessKek, openDataKeys } from '../crypto/start.js';
import { openDatabase } from '../db/connect.js';
import { weakCommitLevel } from '../db/durability.js';
import { migrate } from '../db/migrate.js';
import { inTransaction, type Pool } from '../db/pool.js';
import { systemClock } from '../shared/clock.js';
import { startTracing } from '../tracing/provider.js';
import { startWorker } from '../worker/scheduler.js';
import { backgroundTasks } from '../worker/tasks.js';
import { bannerJson, displayHost, startBanner } from './banner.js';
import { createLogger, type Logger } from './logger.js';

const bootstrap_lock_id = 7_270_185_002;

export interface ServeOptions {
  readonly with_api: boolean;
  /** --json: the banner as one JSON line, beside JSON log lines. */
  readonly json: boolean;
}

/**
 * `purse serve`: database (embedded unless DATABASE_URL), migrations, the admin key on a fresh
 * database, the HTTP API, and the background worker in the same process. SIGINT/SIGTERM shut
 * down in order: stop accepting and finish requests in flight, stop the worker, close the pool,
 * stop the embedded database, send the last spans.
 */
export async function serve(config: Config, options: ServeOptions): Promise<void> {
  const log = createLogger(config);
  // Installed first, so a signal during startup also shuts down in order what was started so far.
  const started: Part[] = [];
  onShutdownSignal(log, config.limits.shutdown_grace_ms, started);
  try {
    await start(config, options, log, started);
  } catch (error) {
    // A process that half started (a worker with no API behind a port taken by someone else) must
    // not linger looking healthy: stop what did start, then let the caller exit non-zero.
    log.error({ err: error }, 'start-up failed: stopping');
    await closeWithin(started, log, config.limits.shutdown_grace_ms);
    throw error;
  }
}

async function start(config: Config, options: ServeOptions, log: Logger, started: Part[]): Promise<void> {
  // Before anything that makes spans, and stopped last, so the spans of the shutdown itself are sent.
  if (config.tracing !== undefined) {
    const tracing = startTracing(config.tracing);
    started.push({ name: 'tracing', close: () => tracing.shutdown() });
    log.info(
      { collector: new URL(config.tracing.traces_url).host, sampler: config.tracing.sampler },
      'tracing on',
    );
  }
  // First: without a KEK nothing personal can be read or written, so nothing else starts.
  const kek = await installProcessKek(config);
  if (kek.source === 'generated') log.info({ file: kek.file }, 'generated a key-encryption key');
  const db = await openDatabase(config, (line) => log.debug({ postgres: line.trim() }, 'embedded postgres'));
  started.push({ name: 'database', close: () => db.close() });
  const applied = await migrate(db.maintenance_pool);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');
  const stop_refresh = await openDataKeys(db.pool, (error) =>
    log.error({ err: error }, 'data key refresh failed'),
  );
  started.push({ name: 'data keys', close: async () => stop_refresh() });
  // Ready once migrated and its data keys are unwrapped: what is written from here on can be sealed.
  log.info({ database: db.description }, 'database ready');
  const weak_commits = await weakCommitLevel(db.pool);
  if (weak_commits !== undefined)
    log.warn(
      { synchronous_commit: weak_commits },
      `synchronous_commit is ${weak_commits} for DATABASE_URL's role: a crash or a failover can lose acknowledged writes; set it to on (docs/operations.md)`,
    );
  const worker = startWorker(
    { pool: db.worker_pool, clock: systemClock, log },
    backgroundTasks(config, { log }),
  );
  started.push({ name: 'worker', close: () => worker.stop() });
  if (!options.with_api) return;
  const admin_secret = await announceBootstrapKey(config, db.pool, log);
  const tls =
    config.tls === undefined
      ? undefined
      : {
          cert: await readFile(config.tls.cert_path),
          key: await readFile(config.tls.key_path),
          ...(config.tls.client_ca_path === undefined
            ? {}
            : { client_ca: await readFile(config.tls.client_ca_path) }),
        };
  const app = await buildApp({
    pool: db.pool,
    ...(db.replica_pool === undefined ? {} : { replica_pool: db.replica_pool }),
    config,
    logger: log,
    ...(tls === undefined ? {} : { tls }),
  });
  started.push({ name: 'http', close: () => app.close() });
  await app.listen({ port: config.port, host: config.host });
  // Last, after the start-up logs, so the key and the addresses are the bottom of the screen.
  process.stdout.write(
    (options.json ? bannerJson : startBanner)({
      api_url: `${tls === undefined ? 'http' : 'https'}://${displayHost(config.host)}:${config.port}`,
      admin_secret,
      database_url: db.embedded?.url,
      kek_file_created: kek.source === 'generated' ? kek.file : undefined,
    }),
  );
}

/** Makes the first key on a fresh database; its secret, to be shown once, or undefined. */
async function announceBootstrapKey(config: Config, pool: Pool, log: Logger): Promise<string | undefined> {
  const outcome = await inTransaction(pool, async (client) => {
    // Two processes starting on an empty database must not both mint an admin key.
    await client.query('SELECT pg_advisory_xact_lock($1)', [bootstrap_lock_id]);
    return ensureBootstrapKey(client, config.bootstrap_key);
  });
  if (outcome.kind === 'retired') {
    // Served on, since the old secret stays refused either way: exiting would turn a routine roll
    // through the API into an outage at the next restart (docs/decisions.md).
    const { key_id, reason, retired_at } = outcome;
    log.error(
      { key_id, reason, retired_at },
      `PURSE_BOOTSTRAP_KEY was ${reason} at ${retired_at.toISOString()} and is refused for good: set it to the key's current secret or unset it`,
    );
    return undefined;
  }
  if (outcome.kind !== 'created') return undefined;
  log.info('created the first API key (test mode, all scopes); it is shown once, in the banner');
  return outcome.secret;
}

interface Part {
  readonly name: string;
  close(): Promise<unknown>;
}

/** On SIGINT/SIGTERM, closes the parts started so far in reverse order, within `grace_ms`. */
function onShutdownSignal(log: Logger, grace_ms: number, started: readonly Part[]): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    let current = 'nothing';
    const force = setTimeout(() => {
      // Named, so that a shutdown that hangs says where (logged at error, seen at any log level).
      log.error({ grace_ms, stopping: current }, 'shutdown took too long: exiting');
      process.exit(1);
    }, grace_ms);
    force.unref();
    closeInOrder(started, log, (name) => {
      current = name;
    }).then(
      () => {
        log.info('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error, stopping: current }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

/** Closes what was started, in reverse order, giving up (with a log line) after `grace_ms`. */
async function closeWithin(parts: readonly Part[], log: Logger, grace_ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.error({ grace_ms }, 'stopping after a failed start-up took too long');
      resolve();
    }, grace_ms);
  });
  const closed = closeInOrder(parts, log, () => undefined).catch((error: unknown) =>
    log.error({ err: error }, 'stopping after a failed start-up failed'),
  );
  await Promise.race([closed, expired]);
  clearTimeout(timer);
}

async function closeInOrder(
  parts: readonly Part[],
  log: Logger,
  closing: (name: string) => void,
): Promise<void> {
  for (const part of [...parts].reverse()) {
    closing(part.name);
    await part.close();
    log.info({ part: part.name }, 'stopped');
  }
}
