import Fastify from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Pool } from '../db/pool.js';
import { process_registry } from './process-metrics.js';
import { type MetricsSource, poolGauge, routeMetrics } from './scrape.js';

export interface WorkerEndpointOptions {
  readonly host: string;
  /** 0: any free port (tests). */
  readonly port: number;
  readonly token: string | undefined;
  readonly worker_pool: Pool;
}

export interface WorkerEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * GET /metrics and /healthz for a process that runs only the worker: without it, the worker's
 * webhook attempts, job runs and task rounds, counted in its own memory, could not be scraped.
 * The database-wide figures are left to the API processes, which all serve them.
 */
export async function listenWorkerEndpoint(options: WorkerEndpointOptions): Promise<WorkerEndpoint> {
  return listenMetricsEndpoint(options, workerRegistry(options.worker_pool));
}

/** A worker process's figures: its rounds, jobs and webhook attempts, its pool, the process's own. */
export function workerRegistry(worker_pool: Pool): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'purse_' });
  poolGauge(
    registry,
    worker_pool,
    'purse_worker_db_pool_connections',
    "The worker's database pool connections: total, idle, and tasks waiting for one.",
  );
  return Registry.merge([registry, process_registry]);
}

/** GET /metrics (from `source`) and /healthz on a port of their own. */
export async function listenMetricsEndpoint(
  options: { readonly host: string; readonly port: number; readonly token: string | undefined },
  source: MetricsSource,
): Promise<WorkerEndpoint> {
  const app = Fastify({ logger: false });
  routeMetrics(app, source, options.token);
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () => app.close(),
  };
}
