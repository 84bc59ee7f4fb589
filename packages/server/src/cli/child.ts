import cluster from 'node:cluster';
import type { Config } from '../config.js';
import { shareWithPrimary } from '../metrics/cluster-aggregate.js';
import { workerRegistry } from '../metrics/worker-endpoint.js';
import { createLogger } from './logger.js';
import { stopAfterFailedStart } from './serve.js';
import { orderedShutdown, type Part } from './shutdown.js';
import { openStore, startApi, startBackground, startTracingStep } from './start-steps.js';
import { type ChildRole, child_role_variable, ready_message, shutdown_message } from './supervisor.js';

/** The role of this process when a `serve --processes` primary forked it; undefined otherwise. */
export function childRole(env: NodeJS.ProcessEnv = process.env): ChildRole | undefined {
  if (!cluster.isWorker) return undefined;
  const role = env[child_role_variable];
  if (role === 'api' || role === 'worker') return role;
  throw new Error(`a forked child needs ${child_role_variable}=api or worker, got ${String(role)}`);
}

/**
 * A child of `purse serve --processes`: the API alone or the worker alone, on the database the
 * primary prepared (no migrations, no admin key, no banner). It tells the primary once it is ready,
 * and shuts down in order when the primary asks, or on a SIGTERM sent to it alone. It ignores
 * SIGINT: Ctrl-C in a terminal reaches every process of the group, and the primary orders the stop.
 */
export async function serveChild(config: Config, role: ChildRole): Promise<void> {
  const log = createLogger(config);
  const started: Part[] = [];
  const shutdown = orderedShutdown(log, config.limits.shutdown_grace_ms, started);
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => shutdown.begin('SIGTERM', 0));
  process.on('message', (message: unknown) => {
    if (message === shutdown_message) shutdown.begin('asked by the primary', 0);
  });
  try {
    startTracingStep(config, log, started);
    const { db } = await openStore(config, log, started, { migrate: false });
    if (role === 'api') await startApi(config, db, log, started);
    else {
      startBackground(config, db, log, started);
      // The primary serves the children's figures combined (PURSE_METRICS_PORT).
      shareWithPrimary(workerRegistry(db.worker_pool));
    }
    process.send?.(ready_message);
  } catch (error) {
    await stopAfterFailedStart(error, started, log, config);
  }
}
