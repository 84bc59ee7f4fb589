import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { assert } from '../shared/assert.js';

/**
 * Standard security headers on every response (HSTS, nosniff, frame denial, a strict CSP): helmet's
 * defaults, which hold no per-request part (no CSP nonces), so they are computed once here. The
 * @fastify/helmet plugin built a new helmet middleware for every request, about 5% of the server's
 * JavaScript time under a load of single transfers.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  const headers = helmetDefaultHeaders();
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(headers);
  });
}

/** Runs helmet's middleware once against a stand-in response and keeps the headers it set. */
function helmetDefaultHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let called = false;
  helmet()({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    assert(error === undefined, 'helmet sets its headers without failing');
    called = true;
  });
  assert(called && Object.keys(headers).length > 0, "helmet's middleware runs synchronously");
  return headers;
}
