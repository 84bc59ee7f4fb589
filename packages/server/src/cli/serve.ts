import type { Config } from '../config.js';
import { bannerJson, startBanner } from './banner.js';
import { createLogger, type Logger } from './logger.js';
import { closeWithin, onShutdownSignal, orderedShutdown, type Part } from './shutdown.js';
import {
  announceBootstrapKey,
  openStore,
  startApi,
  startBackground,
  startTracingStep,
  startWorkerEndpoint,
} from './start-steps.js';

export interface ServeOptions {
  readonly with_api: boolean;
  /** --json: the banner as one JSON line, beside JSON log lines. */
  readonly json: boolean;
}

/**
 * `purse serve` in one process (and `purse worker`): database (embedded unless DATABASE_URL),
 * migrations, the admin key on a fresh database, the HTTP API, and the background worker.
 * SIGINT/SIGTERM shut down in order: stop accepting and finish requests in flight, stop the
 * worker, close the pool, stop the embedded database, send the last spans. `--processes` is
 * cli/primary.ts.
 */
export async function serve(config: Config, options: ServeOptions): Promise<void> {
  const log = createLogger(config);
  // Installed first, so a signal during startup also shuts down in order what was started so far.
  const started: Part[] = [];
  onShutdownSignal(orderedShutdown(log, config.limits.shutdown_grace_ms, started), log);
  try {
    await start(config, options, log, started);
  } catch (error) {
    await stopAfterFailedStart(error, started, log, config);
  }
}

/**
 * A process that half started (a worker with no API behind a port taken by someone else) must not
 * linger looking healthy: stop what did start, then rethrow so the caller exits non-zero.
 */
export async function stopAfterFailedStart(
  error: unknown,
  started: readonly Part[],
  log: Logger,
  config: Config,
): Promise<never> {
  log.error({ err: error }, 'start-up failed: stopping');
  await closeWithin(started, log, config.limits.shutdown_grace_ms);
  throw error;
}

async function start(config: Config, options: ServeOptions, log: Logger, started: Part[]): Promise<void> {
  startTracingStep(config, log, started);
  const { db, kek } = await openStore(config, log, started, { migrate: true });
  startBackground(config, db, log, started);
  if (!options.with_api) {
    await startWorkerEndpoint(config, db, log, started);
    return;
  }
  const admin_secret = await announceBootstrapKey(config, db.pool, log);
  const api_url = await startApi(config, db, log, started);
  // Last, after the start-up logs, so the key and the addresses are the bottom of the screen.
  process.stdout.write(
    (options.json ? bannerJson : startBanner)({
      api_url,
      admin_secret,
      database_url: db.embedded?.url,
      kek_file_created: kek.source === 'generated' ? kek.file : undefined,
    }),
  );
}
