import { readFile } from 'node:fs/promises';
import { buildApp } from '../app.js';
import { ensureBootstrapKey } from '../auth/keys-service.js';
import type { Config } from '../config.js';
import type { LoadedKek } from '../crypto/kek.js';
import { installProcessKek, openDataKeys } from '../crypto/start.js';
import { type Database, openDatabase } from '../db/connect.js';
import { weakCommitLevel } from '../db/durability.js';
import { migrate } from '../db/migrate.js';
import { inTransaction, type Pool } from '../db/pool.js';
import { listenWorkerEndpoint } from '../metrics/worker-endpoint.js';
import { skipForBench } from '../shared/bench-skips.js';
import { systemClock } from '../shared/clock.js';
import { startTracing } from '../tracing/provider.js';
import { startWorker } from '../worker/scheduler.js';
import { backgroundTasks } from '../worker/tasks.js';
import { displayHost } from './banner.js';
import type { Logger } from './logger.js';
import type { Part } from './shutdown.js';

const bootstrap_lock_id = 7_270_185_002;

export interface Store {
  readonly db: Database;
  readonly kek: LoadedKek;
  /** Stops looking for data keys other processes made (the primary, once its children run). */
  stopDataKeyRefresh(): void;
}

/**
 * The first steps of every server process: the KEK first (without it nothing personal can be read
 * or written, so nothing else starts), the database, its migrations when `migrate`, and the data
 * keys, unwrapped and kept fresh. Each part is pushed on `started` as soon as it runs.
 */
export async function openStore(
  config: Config,
  log: Logger,
  started: Part[],
  options: { readonly migrate: boolean },
): Promise<Store> {
  if (config.bench_skip.length > 0) {
    skipForBench(config.bench_skip);
    log.warn(
      { skipped: config.bench_skip },
      'PURSE_BENCH_SKIP: parts of the write path are off, for the benchmark only',
    );
  }
  const kek = await installProcessKek(config);
  if (kek.source === 'generated') log.info({ file: kek.file }, 'generated a key-encryption key');
  const db = await openDatabase(config, (line) => log.debug({ postgres: line.trim() }, 'embedded postgres'));
  started.push({ name: 'database', close: () => db.close() });
  if (options.migrate) {
    const applied = await migrate(db.maintenance_pool);
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
  }
  const stopDataKeyRefresh = await openDataKeys(db.pool, (error) =>
    log.error({ err: error }, 'data key refresh failed'),
  );
  started.push({ name: 'data keys', close: async () => stopDataKeyRefresh() });
  // Ready once migrated and its data keys are unwrapped: what is written from here on can be sealed.
  log.info({ database: db.description }, 'database ready');
  const weak_commits = await weakCommitLevel(db.pool);
  if (weak_commits !== undefined)
    log.warn(
      { synchronous_commit: weak_commits },
      `synchronous_commit is ${weak_commits} for DATABASE_URL's role: a crash or a failover can lose acknowledged writes; set it to on (docs/operations.md)`,
    );
  return { db, kek, stopDataKeyRefresh };
}

/**
 * Tracing, when configured: before anything that makes spans, and (pushed first) stopped last, so
 * the spans of the shutdown itself are sent.
 */
export function startTracingStep(config: Config, log: Logger, started: Part[]): void {
  if (config.tracing === undefined) return;
  const tracing = startTracing(config.tracing);
  started.push({ name: 'tracing', close: () => tracing.shutdown() });
  log.info(
    { collector: new URL(config.tracing.traces_url).host, sampler: config.tracing.sampler },
    'tracing on',
  );
}

/** `purse worker`'s own /metrics and /healthz, when PURSE_METRICS_PORT is set. */
export async function startWorkerEndpoint(
  config: Config,
  db: Database,
  log: Logger,
  started: Part[],
): Promise<void> {
  if (config.metrics_port === undefined) return;
  const endpoint = await listenWorkerEndpoint({
    host: config.host,
    port: config.metrics_port,
    token: config.metrics_token,
    worker_pool: db.worker_pool,
  });
  started.push({ name: 'worker metrics', close: () => endpoint.close() });
  log.info({ port: endpoint.port }, 'worker metrics served');
}

/** The background worker on its own pool. */
export function startBackground(config: Config, db: Database, log: Logger, started: Part[]): void {
  const worker = startWorker(
    { pool: db.worker_pool, clock: systemClock, log },
    backgroundTasks(config, { log }),
  );
  started.push({ name: 'worker', close: () => worker.stop() });
}

/** Builds the HTTP API and listens; returns the address it is reached at. */
export async function startApi(config: Config, db: Database, log: Logger, started: Part[]): Promise<string> {
  const tls = await readTls(config);
  const app = await buildApp({
    pool: db.pool,
    ...(db.replica_pool === undefined ? {} : { replica_pool: db.replica_pool }),
    config,
    logger: log,
    ...(tls === undefined ? {} : { tls }),
  });
  started.push({ name: 'http', close: () => app.close() });
  await app.listen({ port: config.port, host: config.host });
  return apiUrl(config);
}

/** Where the API is reached from this machine. */
export function apiUrl(config: Config): string {
  return `${config.tls === undefined ? 'http' : 'https'}://${displayHost(config.host)}:${config.port}`;
}

/** The certificate, key and client CAs from TLS_CERT, TLS_KEY and TLS_CLIENT_CA, read now. */
export async function readTls(config: Config) {
  if (config.tls === undefined) return undefined;
  return {
    cert: await readFile(config.tls.cert_path),
    key: await readFile(config.tls.key_path),
    ...(config.tls.client_ca_path === undefined
      ? {}
      : { client_ca: await readFile(config.tls.client_ca_path) }),
  };
}

/** Makes the first key on a fresh database; its secret, to be shown once, or undefined. */
export async function announceBootstrapKey(
  config: Config,
  pool: Pool,
  log: Logger,
): Promise<string | undefined> {
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
