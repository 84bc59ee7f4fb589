import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from '../db/pool.js';
import type { ReadRouter } from '../db/replica.js';
import { shareWithPrimary } from '../metrics/cluster-aggregate.js';
import { registerClusterMetrics } from '../metrics/cluster-metrics.js';
import { process_registry } from '../metrics/process-metrics.js';
import { registerReplicaMetrics } from '../metrics/replica-metrics.js';
import { poolGauge, routeMetrics } from '../metrics/scrape.js';
import type { Clock } from '../shared/clock.js';
import type { TransferGroupCommit } from '../transfers/group-commit.js';
import { type LatencyReader, latencyReader } from './latency.js';

export interface MetricsDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly transfer_commit: TransferGroupCommit;
  /** Where heavy reads go (the replica or the primary), for its counters. */
  readonly reads: ReadRouter;
  /** With it set, scrapers must send it as a bearer token. */
  readonly token: string | undefined;
}

/**
 * GET /metrics in the Prometheus text format (the list is in docs/operations.md, "Metrics"):
 * - this app's: request latency by route and status, the database pool's use, the group commit's
 *   queue, and the process's own (CPU, memory, event-loop lag), in one registry per app, so tests
 *   that build many apps in one process do not collide;
 * - this process's background work (process-metrics.ts);
 * - the figures every process reads alike from the database (cluster-metrics.ts).
 * Without a token it answers loopback and private addresses only. Returns the reader
 * of the API's latency quantiles, for the overview report.
 */
export function registerMetrics(app: FastifyInstance, deps: MetricsDeps): LatencyReader {
  const { pool, token } = deps;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'purse_' });
  const latency = new Histogram({
    name: 'purse_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  poolGauge(
    registry,
    pool,
    'purse_db_pool_connections',
    'Database pool connections: total, idle, and requests waiting for one.',
  );
  new Gauge({
    name: 'purse_group_commit_queued_transfers',
    help: 'Transfers in this process waiting for a group-commit batch.',
    registers: [registry],
    collect() {
      this.set(deps.transfer_commit.depth.queued_transfers);
    },
  });
  new Gauge({
    name: 'purse_group_commit_batches_in_flight',
    help: 'Group-commit batches this process is writing now.',
    registers: [registry],
    collect() {
      this.set(deps.transfer_commit.depth.in_flight);
    },
  });
  registerClusterMetrics(registry, pool, deps.clock);
  registerReplicaMetrics(registry, deps.reads);
  const exposed = Registry.merge([registry, process_registry]);
  // A child of `serve --processes` (one app per process) also answers the primary's combined scrape.
  if (cluster.isWorker) shareWithPrimary(exposed);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  routeMetrics(app, exposed, token);
  return latencyReader(latency);
}
