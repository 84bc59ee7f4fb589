import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { hashSecret, sameHash } from '../auth/secrets.js';
import type { Pool } from '../db/pool.js';
import type { ReadRouter } from '../db/replica.js';
import { type LatencyReader, latencyReader } from './latency.js';

/**
 * GET /metrics in the Prometheus text format: request latency by route and status, the database
 * pool's use, and the process's own (CPU, memory, event-loop lag). One registry per app, so tests
 * that build many apps in one process do not collide. With `token` set, scrapers must send it as a
 * bearer token; without it the endpoint is open, like /healthz, for a private network. Returns the
 * reader of the API's latency quantiles, for the overview report.
 */
export function registerMetrics(
  app: FastifyInstance,
  pool: Pool,
  reads: ReadRouter,
  token: string | undefined,
): LatencyReader {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'purse_' });
  const latency = new Histogram({
    name: 'purse_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'purse_db_pool_connections',
    help: 'Database pool connections: total, idle, and requests waiting for one.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  new Counter({
    name: 'purse_db_reads_total',
    help: 'Heavy reads (reports, search, statements, audit trail) answered by the replica and by the primary.',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      // The router counts; the counter shows its totals.
      const stats = reads.stats();
      this.reset();
      this.inc({ pool: 'replica' }, stats.replica_reads);
      this.inc({ pool: 'primary' }, stats.primary_reads);
    },
  });
  new Gauge({
    name: 'purse_db_replica_lag_seconds',
    help: 'How far behind the primary the replica is proven to be at most; absent: not usable.',
    registers: [registry],
    collect() {
      const lag_ms = reads.stats().lag_ms;
      if (lag_ms === undefined) this.reset();
      else this.set(lag_ms / 1000);
    },
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (
      token !== undefined &&
      !sameHash(hashSecret(request.headers.authorization ?? ''), hashSecret(`Bearer ${token}`))
    )
      return reply.code(401).type('text/plain').send('metrics token required\n');
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  return latencyReader(latency);
}
