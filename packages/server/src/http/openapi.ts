import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { Problem } from './schemas.js';

/**
 * The OpenAPI 3.1 document is generated from the route schemas (the one source of validation,
 * types and docs), served at /openapi.json and browsable at /docs. `openapi.json` in the
 * repository is this output; a test fails when the two drift.
 */
const idempotency_header = Type.String({
  minLength: 1,
  maxLength: 255,
  description:
    'Makes a retry safe: the first response is stored for 24 hours and replayed with Idempotent-Replayed: true.',
  examples: ['order-6735-payout'],
});
const version_header = Type.String({
  description: "Answer as this API version instead of the key's pinned one.",
  examples: ['2026-11-01'],
});

/**
 * Documents the headers every /v1 operation takes; they are checked by plugins, not route schemas.
 * A multipart route documents its form (`config.multipart_form`), which its handler reads part by
 * part rather than a body schema validating it.
 */
function documentHeaders({
  schema,
  url,
  route,
}: {
  schema: FastifySchema;
  url: string;
  route: { method: string | string[]; config?: { multipart_form?: object } };
}) {
  if (!url.startsWith('/v1/')) return { schema, url };
  const own = (schema.headers as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  const headers: Record<string, unknown> = { ...own, 'Purse-Version': Type.Optional(version_header) };
  if (route.method === 'POST') headers['Idempotency-Key'] = Type.Optional(idempotency_header);
  const form = route.config?.multipart_form;
  const body = form === undefined ? {} : { body: form, consumes: ['multipart/form-data'] };
  return { schema: { ...schema, ...body, headers: Type.Object(headers as never) }, url };
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addSchema(Problem);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Purse API',
        version: '2026-11-01',
        description:
          'Self-hosted wallet and ledger API. Authenticate with `Authorization: Bearer sk_test_...` (or, from the dashboard, the operator session cookie with `X-CSRF-Token` on writes and `Purse-Mode`). Every POST accepts an `Idempotency-Key` header. Errors are RFC 9457 problem documents.',
      },
      servers: [{ url: 'http://localhost:8080' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'sk_test_... or sk_live_...' },
          operator_session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'purse_session',
            description:
              "An operator's dashboard session (docs/dashboard.md); writes also need X-CSRF-Token, and Purse-Mode picks test or live.",
          },
        },
      },
      security: [{ bearer: [] }, { operator_session: [] }],
    },
    transform: documentHeaders,
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
