import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { certificateThumbprint, peerCertificate } from '../auth/client-certificates.js';
import { consentAuthContext, consentRefusal, findAccessToken } from '../auth/consent-access.js';
import type { AuthContext } from '../auth/context.js';
import { type ApiKeyRow, findApiKeyBySecretHash, keyAuthContext } from '../auth/keys-service.js';
import { partnerRefusal } from '../auth/partner-scopes.js';
import { grants, type Scope } from '../auth/scopes.js';
import { hashSecret, sameHash, secretMode } from '../auth/secrets.js';
import type { Limits } from '../config.js';
import type { Pool } from '../db/pool.js';
import { operatorAuth, sessionToken } from '../operators/session-access.js';
import type { SessionSettings } from '../operators/sessions.js';
import { assert } from '../shared/assert.js';
import type { Clock } from '../shared/clock.js';
import { domainError, HttpProblem } from '../shared/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyContextConfig {
    /**
     * The scope an authenticated route needs; routes under /v1 must name one. Several: it needs
     * every one (a webhook endpoint's route also needs `events:read`, as it sends events). `any`:
     * one of them is enough, and the handler narrows what it answers to those held (search).
     */
    scope?: Scope | readonly [Scope, ...Scope[]] | { readonly any: readonly [Scope, ...Scope[]] };
  }
}

/** Keys looked up recently, by secret hash. Revocation in this process evicts at once; others within the TTL. */
export type ApiKeyCache = LRUCache<string, ApiKeyRow, AuthDeps>;

export function createApiKeyCache(limits: Limits): ApiKeyCache {
  return new LRUCache<string, ApiKeyRow, AuthDeps>({
    max: limits.api_key_cache_entries_max,
    ttl: limits.api_key_cache_ttl_ms,
    // Misses for one key share one lookup (lru-cache's fetch): when an entry expires under load,
    // every request in flight would otherwise query the key, and stamp last_used_at, at once.
    fetchMethod: (cache_key, _stale, { context }) => fetchKey(Buffer.from(cache_key, 'hex'), context),
    // A lookup still pending when its entry is evicted (a full cache) or deleted (revocation) still
    // answers its requests; lru-cache then keeps nothing of it, so a revoked key is not cached.
    ignoreFetchAbort: true,
  });
}

export interface AuthDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly cache: ApiKeyCache;
  /** Dashboard sessions: a request with the session cookie and no Authorization header. */
  readonly sessions: SessionSettings;
}

/**
 * Adds authentication and the route's scope check to every route of `app`: an API key, a partner
 * app's OAuth access token acting under a holder's consent (docs/oauth.md), or an operator's
 * dashboard session cookie (docs/dashboard.md).
 */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request, reply) => {
    const auth = await authenticate(request, deps).catch((error: unknown) => {
      // RFC 6750 section 3: a refused bearer token says so in WWW-Authenticate too.
      if (error instanceof HttpProblem && error.problem.code === 'invalid_access_token')
        reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw error;
    });
    // Known before the scope check, so that a refusal is audited against the key that asked.
    request.auth = auth;
    checkPartnerRoute(request, auth);
    const missing = missingScope(request, auth.scopes);
    if (missing !== undefined) {
      throw new HttpProblem(
        domainError('insufficient_scope', `This API key lacks the scope "${missing}".`, missing),
      );
    }
  });
}

/** A partner app's token may call only the routes its consented partner scopes open. */
function checkPartnerRoute(request: FastifyRequest, auth: AuthContext): void {
  if (auth.consent === undefined) return;
  const refusal = partnerRefusal(`${request.method} ${request.routeOptions.url}`, auth.consent.scopes);
  if (refusal === undefined) return;
  throw new HttpProblem(
    refusal.kind === 'route'
      ? domainError('key_restricted', "A partner app's access token cannot use this endpoint.")
      : domainError(
          'insufficient_scope',
          `The holder did not grant this app the scope "${refusal.scope}".`,
          refusal.scope,
        ),
  );
}

/** The first scope the route needs that `granted` does not give, if any. */
function missingScope(request: FastifyRequest, granted: readonly string[]): Scope | undefined {
  const scope = request.routeOptions.config.scope;
  assert(scope !== undefined, `route ${request.routeOptions.url} declares no scope`);
  if (typeof scope !== 'string' && 'any' in scope)
    return scope.any.some((one) => grants(granted, one)) ? undefined : scope.any[0];
  const needed: readonly Scope[] = typeof scope === 'string' ? [scope] : scope;
  return needed.find((one) => !grants(granted, one));
}

/**
 * Whether the key that authenticated `request` still holds the route's scope and is still valid
 * (not revoked, not rolled past its grace period, not expired), for a response that outlives its
 * request: an event stream ends when this turns false. Through the key cache, so a revocation or
 * roll in this process is seen at once and one in another process within the cache TTL.
 */
export async function stillAuthorized(request: FastifyRequest, deps: AuthDeps): Promise<boolean> {
  try {
    const auth = await authenticate(request, deps);
    checkPartnerRoute(request, auth);
    return missingScope(request, auth.scopes) === undefined;
  } catch (error) {
    if (error instanceof HttpProblem) return false;
    throw error;
  }
}

async function authenticate(request: FastifyRequest, deps: AuthDeps): Promise<AuthContext> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    // Checked only without an Authorization header: a key in the header always decides.
    if (sessionToken(request) !== undefined) return operatorAuth(request, deps, deps.clock.now());
    throw new HttpProblem(
      domainError('authentication_required', 'Send your API key as "Authorization: Bearer sk_test_...".'),
    );
  }
  const secret = /^Bearer (\S+)$/i.exec(header)?.[1];
  if (secret === undefined) throw invalidKey('The API key is malformed.');
  // Purse API keys start with sk_; any other bearer token may be a partner app's access token.
  if (!secret.startsWith('sk_')) return partnerAuth(request, secret, deps);
  return keyAuthContext(await authenticateKey(secret, deps));
}

async function authenticateKey(secret: string, deps: AuthDeps): Promise<ApiKeyRow> {
  const claimed = secretMode(secret);
  if (claimed === undefined) throw invalidKey('The API key is malformed.');
  const hash = hashSecret(secret);
  const row = await lookup(hash, deps);
  const now = deps.clock.now();
  if (row === undefined || !matchesSecret(row, hash, now)) throw invalidKey('The API key is not known.');
  assert(row.livemode === claimed.livemode, `key ${row.id} is stored in the other mode than its prefix`);
  if (row.revoked_at !== null && row.revoked_at <= now) throw invalidKey('The API key was revoked.');
  if (row.expires_at !== null && row.expires_at <= now) throw invalidKey('The API key has expired.');
  return row;
}

/**
 * An OAuth access token, looked up on every request (never cached), so that revoking its consent
 * or its app refuses it at once in every process. Tokens expire by the authorization server's
 * clock (real time), consents by Purse's.
 */
async function partnerAuth(request: FastifyRequest, token: string, deps: AuthDeps): Promise<AuthContext> {
  const row = token.length > 512 ? undefined : await findAccessToken(deps.pool, token);
  if (row === undefined) throw invalidToken('The access token is not known or was revoked.');
  if (row.token_expires_at !== null && row.token_expires_at <= new Date())
    throw invalidToken('The access token has expired; use the refresh token.');
  if (row.certificate_thumbprint !== null && !presentsCertificate(request, row.certificate_thumbprint))
    throw invalidToken("The access token is bound to the app's client certificate; present it (mutual TLS).");
  const refusal = consentRefusal(row, deps.clock.now());
  if (refusal !== undefined) throw invalidToken(refusal);
  return consentAuthContext(row, row.token_scope.split(' '));
}

/** The current secret, or the one before a roll while its grace period lasts; constant-time compares. */
function matchesSecret(row: ApiKeyRow, hash: Buffer, now: Date): boolean {
  const current = sameHash(row.secret_hash, hash);
  const previous =
    row.previous_secret_hash !== null &&
    row.previous_secret_expires_at !== null &&
    sameHash(row.previous_secret_hash, hash) &&
    row.previous_secret_expires_at > now;
  return current || previous;
}

function lookup(hash: Buffer, deps: AuthDeps): Promise<ApiKeyRow | undefined> {
  return deps.cache.fetch(hash.toString('hex'), { context: deps });
}

/** A key from the database; an unknown secret is not cached, so it is looked up each time. */
async function fetchKey(hash: Buffer, deps: AuthDeps): Promise<ApiKeyRow | undefined> {
  const row = await findApiKeyBySecretHash(deps.pool, hash);
  if (row === undefined) return undefined;
  // Recorded once per cache fill rather than on every request, to keep writes off the hot path.
  deps.pool
    .query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [row.id, deps.clock.now()])
    .catch(() => undefined);
  return row;
}

function invalidKey(detail: string): HttpProblem {
  return new HttpProblem(domainError('invalid_api_key', detail));
}

/** RFC 8705 section 3: a bound token is good only over a connection with the certificate it names. */
function presentsCertificate(request: FastifyRequest, thumbprint: string): boolean {
  const certificate = peerCertificate(request.raw.socket);
  return certificate !== undefined && certificateThumbprint(certificate) === thumbprint;
}

function invalidToken(detail: string): HttpProblem {
  return new HttpProblem(domainError('invalid_access_token', detail));
}

/** The caller's key inside an authenticated route. */
export function authOf(request: FastifyRequest): AuthContext {
  assert(request.auth !== null, 'authOf used on a route without authentication');
  return request.auth;
}
