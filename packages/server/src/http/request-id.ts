import type { FastifyInstance } from 'fastify';
import { newId } from '../shared/ids.js';

/** Fastify's genReqId: every request gets its own `req_` id, logged on each line and returned. */
export function generateRequestId(): string {
  return newId('request');
}

export function registerRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('Request-Id', request.id);
  });
}
