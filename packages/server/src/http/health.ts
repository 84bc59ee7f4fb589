import type { FastifyInstance } from 'fastify';
import { migrationsApplied } from '../db/migrate.js';
import type { Pool } from '../db/pool.js';

/** /healthz: the process is up. /readyz: the database answers and every migration is applied. */
export function registerHealth(app: FastifyInstance, pool: Pool): void {
  const hide = { hide: true };
  app.get('/healthz', { schema: hide }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: hide }, async (request, reply) => {
    try {
      if (await migrationsApplied(pool)) return { status: 'ready' };
      return reply.code(503).send({ status: 'migrations_pending' });
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return reply.code(503).send({ status: 'database_unreachable' });
    }
  });
}
