import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** Standard security headers on every response (HSTS, nosniff, frame denial, a strict CSP). */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, { global: true });
}
