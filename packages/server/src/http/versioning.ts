import type { FastifyInstance } from 'fastify';
import { domainError, HttpProblem } from '../shared/errors.js';
import { api_versions, isApiVersion } from '../shared/versions.js';
import { authOf } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    api_version: string;
  }
}

/**
 * Chooses the API version that answers: the `Purse-Version` header when given, else the version the
 * key was pinned to at creation. The response says which one answered. Runs after authentication.
 */
export function registerVersioning(app: FastifyInstance): void {
  app.decorateRequest('api_version', '');
  app.addHook('onRequest', async (request, reply) => {
    const asked = request.headers['purse-version'];
    if (asked !== undefined && (typeof asked !== 'string' || !isApiVersion(asked))) {
      throw new HttpProblem(
        domainError(
          'invalid_api_version',
          `Purse-Version must be one of ${api_versions.join(', ')}.`,
          'Purse-Version',
        ),
      );
    }
    request.api_version = asked ?? authOf(request).api_version;
    reply.header('Purse-Version', request.api_version);
  });
}
