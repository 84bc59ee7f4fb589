import type { Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Client } from '../db/pool.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf, PageQuerystring } from '../http/schemas.js';
import { validateSpendPolicy } from '../policies/validate.js';
import { domainError } from '../shared/errors.js';
import { pageQuery } from '../shared/pagination.js';
import { fail, ok } from '../shared/result.js';
import type { AuthContext } from './context.js';
import {
  type ApiKeyView,
  createManagedApiKey,
  getApiKey,
  type KeyManager,
  listApiKeys,
  revokeApiKey,
  rollApiKey,
  updateApiKey,
} from './keys-service.js';
import { validateRestrictions } from './restrictions.js';
import { ApiKey, CreateApiKeyBody, RollApiKeyBody, UpdateApiKeyBody } from './schemas.js';
import { isValidScope } from './scopes.js';

export function apiKeyRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['API keys'];

  app.post(
    '/v1/api_keys',
    {
      config: { scope: 'api_keys:write' },
      schema: {
        tags,
        summary: 'Create an API key',
        description: 'The response carries the secret; it is stored hashed and never shown again.',
        body: CreateApiKeyBody,
        response: { 201: ApiKey, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(
        mutation,
        request,
        reply,
        201,
        async (db) => {
          const caller = authOf(request);
          const checked = checkNewKey(caller, request.body, deps.clock.now());
          if (!checked.ok) return checked;
          const access = await checkAccess(db, checked.value.livemode, request.body);
          if (!access.ok) return access;
          return createManagedApiKey(db, managerOf(request, deps), checked.value);
        },
        without_secret,
      ),
  );

  app.get(
    '/v1/api_keys',
    {
      config: { scope: 'api_keys:read' },
      schema: {
        tags,
        summary: 'List API keys',
        description: "Keys of the caller's mode, newest first, with redacted secrets.",
        querystring: PageQuerystring,
        response: { 200: ListOf(ApiKey), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await listApiKeys(deps.pool, authOf(request).livemode, pageQuery(request.query)),
      ),
  );

  app.get(
    '/v1/api_keys/:id',
    {
      config: { scope: 'api_keys:read' },
      schema: {
        tags,
        summary: 'Retrieve an API key',
        description: "The key's scopes, pinned version and state; never its secret.",
        params: IdParams,
        response: { 200: ApiKey, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getApiKey(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/api_keys/:id/revoke',
    {
      config: { scope: 'api_keys:write' },
      schema: {
        tags,
        summary: 'Revoke an API key',
        description: 'Takes effect at once in this process and within the key cache TTL in others.',
        params: IdParams,
        response: { 200: ApiKey, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, async (db) => {
        const revoked = await revokeApiKey(db, managerOf(request, deps), request.params.id, deps.clock.now());
        if (revoked.ok) evictKey(deps, revoked.value);
        return revoked;
      }),
  );

  app.post(
    '/v1/api_keys/:id',
    {
      config: { scope: 'api_keys:write' },
      schema: {
        tags,
        summary: 'Update an API key',
        description:
          'Renames it, merges metadata, replaces or removes (null) its spend policy, or sets its rate limit. Takes effect at once in this process and within the key cache TTL in others. Restrictions cannot change: make a new key.',
        params: IdParams,
        body: UpdateApiKeyBody,
        response: { 200: ApiKey, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, async (db) => {
        const { livemode } = authOf(request);
        const { spend_policy, ...rest } = request.body;
        if (spend_policy !== undefined && spend_policy !== null) {
          const valid = await validateSpendPolicy(db, livemode, spend_policy, 'spend_policy');
          if (!valid.ok) return valid;
        }
        const updated = await updateApiKey(
          db,
          managerOf(request, deps),
          request.params.id,
          { ...rest, ...(spend_policy === undefined ? {} : { spend_policy }) },
          deps.clock.now(),
        );
        if (updated.ok) evictKey(deps, updated.value);
        return updated;
      }),
  );

  app.post(
    '/v1/api_keys/:id/roll',
    {
      config: { scope: 'api_keys:write' },
      schema: {
        tags,
        summary: 'Roll an API key',
        description:
          'Gives the key a new secret, returned once. The old secret keeps working for grace_period_s (24 hours by default, at most 7 days, 0 for none), so clients can switch without downtime; the key keeps its id, scopes, policy and history.',
        params: IdParams,
        body: RollApiKeyBody,
        response: { 200: ApiKey, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(
        mutation,
        request,
        reply,
        200,
        async (db) => {
          const grace_s = request.body.grace_period_s ?? deps.config.limits.key_roll_grace_s_default;
          const rolled = await rollApiKey(
            db,
            managerOf(request, deps),
            request.params.id,
            grace_s,
            deps.clock.now(),
          );
          if (rolled.ok) evictKey(deps, rolled.value);
          return rolled;
        },
        without_secret,
      ),
  );
}

/** The calling key (or operator), which may manage only keys no more powerful than itself. */
function managerOf(request: FastifyRequest, deps: RouteDeps): KeyManager {
  const { key_id, livemode, scopes, operator } = authOf(request);
  if (operator !== undefined) return { kind: 'session', scopes, livemode, limits: deps.config.limits };
  return { kind: 'key', key_id, livemode, limits: deps.config.limits };
}

/** Restrictions and a spend policy must name wallets, holders and assets of the new key's mode. */
async function checkAccess(db: Client, livemode: boolean, body: CreateApiKey) {
  if (body.restrictions !== undefined) {
    const valid = await validateRestrictions(db, livemode, body.restrictions);
    if (!valid.ok) return valid;
  }
  if (body.spend_policy !== undefined) {
    const valid = await validateSpendPolicy(db, livemode, body.spend_policy, 'spend_policy');
    if (!valid.ok) return valid;
  }
  return ok(undefined);
}

/**
 * The secret exists in plaintext only in the creating response: the idempotency record keeps the
 * response without it, so a replay shows the key but not its secret (roll or revoke it if lost).
 */
const without_secret = {
  replay_body: ({ secret: _secret, ...rest }: ApiKeyView) => rest,
};

type CreateApiKey = Static<typeof CreateApiKeyBody>;

/** The new key as asked, with the caller's mode and scopes by default; its powers are checked later. */
function checkNewKey(caller: AuthContext, body: CreateApiKey, now: Date) {
  const livemode = body.mode === undefined ? caller.livemode : body.mode === 'live';
  const scopes = body.scopes ?? [...caller.scopes];
  const invalid = scopes.find((scope) => !isValidScope(scope));
  if (invalid !== undefined)
    return fail(domainError('invalid_request', `Unknown scope "${invalid}".`, 'scopes'));
  if (body.expires_at !== undefined && new Date(body.expires_at) <= now) {
    return fail(domainError('invalid_request', 'expires_at must be in the future.', 'expires_at'));
  }
  return ok({
    livemode,
    name: body.name,
    scopes,
    ...(body.expires_at === undefined ? {} : { expires_at: new Date(body.expires_at) }),
    ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    ...(body.restrictions === undefined ? {} : { restrictions: body.restrictions }),
    ...(body.spend_policy === undefined ? {} : { spend_policy: body.spend_policy }),
    ...(body.rate_limit_requests_max === undefined
      ? {}
      : { rate_limit_requests_max: body.rate_limit_requests_max }),
  });
}

function evictKey(deps: RouteDeps, key: ApiKeyView): void {
  for (const [hash, row] of deps.key_cache.entries()) {
    if (row.id === key.id) deps.key_cache.delete(hash);
  }
}
