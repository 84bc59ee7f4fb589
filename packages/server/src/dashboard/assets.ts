import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Where `npm run build` puts the dashboard (packages/dashboard/dist), from this file in src/ or in
 * dist/ alike: both sit two folders below packages/.
 */
export const default_dashboard_dir = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

/**
 * The dashboard's policy, stricter than the API's default: its own scripts, styles and API only;
 * no inline script or style, no frames, no plugins, no other origin. (Chart.js draws on a canvas
 * and sets styles through the CSSOM, which `style-src 'self'` allows.)
 */
export const dashboard_csp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Files, not API: left out of the OpenAPI document (as @fastify/static's own routes are). */
const hidden = { hide: true };

/** Hashed by Vite into their names, so a file there never changes: cached for a year. */
const immutable = 'public, max-age=31536000, immutable';

/**
 * Serves the dashboard's static build at /dashboard: the files under assets/ (long cache), and
 * index.html (never stored, so a new build is picked up at once) for /dashboard and every client
 * route below it (/dashboard/wallets/wal_...). The session routes (/dashboard/session) are more
 * specific and win. Without a build, /dashboard says how to make one.
 */
export async function registerDashboard(
  app: FastifyInstance,
  dir: string = default_dashboard_dir,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', dashboard_csp);
    });
    if (!existsSync(`${dir}/index.html`)) {
      const missing = async (_request: unknown, reply: FastifyReply) =>
        reply
          .code(404)
          .type('text/plain; charset=utf-8')
          .send(
            'The dashboard is not built: run `npm run build` at the root of the repository, then restart.',
          );
      scope.get('/dashboard', { schema: hidden }, missing);
      scope.get('/dashboard/*', { schema: hidden }, missing);
      return;
    }
    await scope.register(fastifyStatic, {
      root: dir,
      prefix: '/dashboard/',
      // One route per file found at start, so the catch-all below can answer client routes.
      wildcard: false,
      index: false,
      cacheControl: false,
      etag: true,
      lastModified: false,
      setHeaders(response, path) {
        response.header('cache-control', path.includes('/assets/') ? immutable : 'no-store');
      },
    });
    const page = async (_request: unknown, reply: FastifyReply) =>
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').sendFile('index.html');
    scope.get('/dashboard', { schema: hidden }, page);
    scope.get('/dashboard/*', { schema: hidden }, async (request, reply) => {
      // A missing hashed file is a 404, not the page: a browser would run HTML as a script.
      if (request.url.startsWith('/dashboard/assets/'))
        return reply.code(404).type('text/plain; charset=utf-8').send('No such file.');
      return page(request, reply);
    });
  });
}
