import type { FastifyRequest } from 'fastify';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf, PageQuerystring } from '../http/schemas.js';
import { domainError } from '../shared/errors.js';
import { pageQuery } from '../shared/pagination.js';
import { fail, type Result } from '../shared/result.js';
import {
  type ClientContext,
  createOAuthClient,
  getOAuthClient,
  listOAuthClients,
  type OAuthClientView,
  revokeOAuthClient,
} from './clients.js';
import { getConsent, listConsents, revokeConsent } from './consents.js';
import {
  Consent,
  ConsentListQuery,
  CreateOAuthClientBody,
  OAuthClient,
  RevokeConsentBody,
} from './schemas.js';

/** Partner apps and the holders' consents to them, managed with the platform's API keys. */
export function oauthRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['OAuth'];
  const clientContext = (request: FastifyRequest, db: ClientContext['db']): ClientContext => ({
    db,
    livemode: authOf(request).livemode,
    now: deps.clock.now(),
    limits: deps.config.limits,
    key_id: authOf(request).key_id,
  });

  app.post(
    '/v1/oauth_clients',
    {
      config: { scope: 'oauth_clients:write' },
      schema: {
        tags,
        summary: 'Register a partner app',
        description:
          "Registers an OAuth 2.0 client of the caller's mode. The response carries the client_secret once; it is stored hashed. Apps get consents, codes and tokens of that mode only.",
        body: CreateOAuthClientBody,
        response: { 201: OAuthClient, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(
        mutation,
        request,
        reply,
        201,
        async (db) => unbound(request) ?? createOAuthClient(clientContext(request, db), request.body),
        { replay_body: ({ client_secret: _secret, ...rest }: OAuthClientView) => rest },
      ),
  );

  app.get(
    '/v1/oauth_clients',
    {
      config: { scope: 'oauth_clients:read' },
      schema: {
        tags,
        summary: 'List partner apps',
        description: "Apps of the caller's mode, newest first, deleted ones included; never a secret.",
        querystring: PageQuerystring,
        response: { 200: ListOf(OAuthClient), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await listOAuthClients(deps.pool, authOf(request).livemode, pageQuery(request.query)),
      ),
  );

  app.get(
    '/v1/oauth_clients/:id',
    {
      config: { scope: 'oauth_clients:read' },
      schema: {
        tags,
        summary: 'Retrieve a partner app',
        description: 'Its redirect URIs, allowed scopes, payment limits and state; never its secret.',
        params: IdParams,
        response: { 200: OAuthClient, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await getOAuthClient(deps.pool, authOf(request).livemode, request.params.id),
      ),
  );

  app.delete(
    '/v1/oauth_clients/:id',
    {
      config: { scope: 'oauth_clients:write' },
      schema: {
        tags,
        summary: 'Delete a partner app',
        description:
          'The app can no longer authenticate, and every consent to it is revoked with its tokens, at once.',
        params: IdParams,
        response: { 200: OAuthClient, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(
        mutation,
        request,
        reply,
        200,
        async (db) => unbound(request) ?? revokeOAuthClient(clientContext(request, db), request.params.id),
      ),
  );

  app.get(
    '/v1/consents',
    {
      config: { scope: 'consents:read' },
      schema: {
        tags,
        summary: 'List consents',
        description: "Holders' consents to partner apps, newest first, filtered by holder, app or status.",
        querystring: ConsentListQuery,
        response: { 200: ListOf(Consent), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { holder_id, client_id, status } = request.query;
      return sendResult(
        request,
        reply,
        await listConsents(
          deps.pool,
          authOf(request).livemode,
          { holder_id, client_id, status },
          pageQuery(request.query),
        ),
      );
    },
  );

  app.get(
    '/v1/consents/:id',
    {
      config: { scope: 'consents:read' },
      schema: {
        tags,
        summary: 'Retrieve a consent',
        description:
          'Which app, holder, scopes and wallets, the payment limits, and whether it still stands.',
        params: IdParams,
        response: { 200: Consent, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getConsent(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/consents/:id/revoke',
    {
      config: { scope: 'consents:write' },
      schema: {
        tags,
        summary: 'Revoke a consent',
        description:
          "Revokes the holder's consent: its codes, access and refresh tokens are deleted in the same transaction, so the next request with any of them is refused, in every process.",
        params: IdParams,
        body: RevokeConsentBody,
        response: { 200: Consent, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) => {
        const { livemode, key_id } = authOf(request);
        const revoked_by = request.body.requested_by === 'holder' ? 'holder' : key_id;
        return revokeConsent(db, livemode, request.params.id, revoked_by, deps.clock.now());
      }),
  );
}

/**
 * A key with a spend policy registers or deletes no app: an app's consents carry their own spend
 * policy, which a bound agent could otherwise set for itself (restricted keys are refused all of
 * these routes by auth/restricted-routes.ts).
 */
function unbound(request: FastifyRequest): Result<never> | undefined {
  if (authOf(request).spend_policy === null) return undefined;
  return fail(domainError('key_restricted', 'A key with a spend policy cannot register or delete apps.'));
}
