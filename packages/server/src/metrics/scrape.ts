import type { FastifyInstance } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import { hashSecret, sameHash } from '../auth/secrets.js';
import type { Pool } from '../db/pool.js';
import { isPublicAddressText } from '../webhooks/url-guard.js';

/** What /metrics serves: a registry, or the figures of a cluster's children combined. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * GET /metrics serving `source`, in the API and in a worker process alike. With `token` set,
 * scrapers must send it as a bearer token. Without it, only loopback and private addresses get an
 * answer: the figures include business volumes and failure codes, which the public side of the
 * API's port must not hand out.
 */
export function routeMetrics(app: FastifyInstance, source: MetricsSource, token: string | undefined): void {
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (
      token !== undefined &&
      !sameHash(hashSecret(request.headers.authorization ?? ''), hashSecret(`Bearer ${token}`))
    )
      return reply.code(401).type('text/plain').send('metrics token required\n');
    if (token === undefined && isPublicAddressText(request.ip))
      return reply
        .code(403)
        .type('text/plain')
        .send(
          'metrics are served to private addresses only; set PURSE_METRICS_TOKEN to scrape from elsewhere\n',
        );
    return reply.type(source.contentType).send(await source.metrics());
  });
}

/** A pool's connections (total, idle, and callers waiting for one) as `name{state}`. */
export function poolGauge(registry: Registry, pool: Pool, name: string, help: string): void {
  new Gauge({
    name,
    help,
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
}
