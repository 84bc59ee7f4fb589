import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { Problem } from './schemas.js';

/**
 * The OpenAPI 3.1 document is generated from the route schemas (the one source of validation,
 * types and docs), served at /openapi.json and browsable at /docs. `openapi.json` in the
 * repository is this output; a test fails when the two drift.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addSchema(Problem);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Purse API',
        version: '2026-11-01',
        description:
          'Self-hosted wallet and ledger API. Authenticate with `Authorization: Bearer sk_test_...`. Every POST accepts an `Idempotency-Key` header. Errors are RFC 9457 problem documents.',
      },
      servers: [{ url: 'http://localhost:8080' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'sk_test_... or sk_live_...' },
        },
      },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
