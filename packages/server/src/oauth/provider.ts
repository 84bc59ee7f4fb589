import { generateKeyPairSync } from 'node:crypto';
import Provider, { type Configuration, errors } from 'oidc-provider';
import { peerCertificate, peerCertificateTrusted, subjectMatches } from '../auth/client-certificates.js';
import { partner_scopes } from '../auth/partner-scopes.js';
import type { OAuthConfig } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Clock } from '../shared/clock.js';
import { oauthAdapter } from './adapter.js';
import { clientSecretMatches } from './clients.js';
import { messagePage, page_csp } from './pages.js';

/** Where the authorization server is mounted in the API's URL space. */
export const oauth_mount_path = '/oauth';

/** The one resource server partner tokens are for: the Purse API. Tokens name it as their audience. */
export const api_resource = 'urn:purse:api';

export interface ProviderDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly config: OAuthConfig;
}

/**
 * panva's oidc-provider (OpenID Certified) as a plain OAuth 2.0 authorization server for partner
 * apps: the authorization code flow only, PKCE (S256) required of every app, confidential apps
 * authenticating with their client_secret or a client certificate (RFC 8705, with tokens bound to
 * it), opaque access tokens for the Purse API, refresh tokens
 * rotated on every use, introspection (RFC 7662), revocation (RFC 7009) and metadata (RFC 8414).
 * Holders sign in and consent on Purse's own pages (interactions.ts).
 */
export function createProvider(deps: ProviderDeps): Provider {
  const provider = new Provider(deps.config.issuer, configuration(deps));
  // Client secrets are stored as SHA-256 hashes (oauth_clients.secret_hash); the adapter hands the
  // hash to the provider as the client's secret, and presented secrets are hashed to compare.
  provider.Client.prototype.compareClientSecret = function compare(this: { clientSecret: string }, actual) {
    return clientSecretMatches(Buffer.from(this.clientSecret, 'hex'), String(actual));
  };
  return provider;
}

function configuration(deps: ProviderDeps): Configuration {
  const ttl = deps.config;
  // An app introspects and revokes only its own tokens.
  const own_tokens = (
    _ctx: unknown,
    client: { clientId: string },
    token: { clientId?: string | undefined },
  ) => token.clientId === client.clientId;
  return {
    adapter: oauthAdapter({ pool: deps.pool, clock: deps.clock }),
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    scopes: [...partner_scopes],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'tls_client_auth'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      // Purse's resource server checks bearer tokens only: a DPoP-bound token would be honoured
      // without its proof, so DPoP is not offered.
      dPoP: { enabled: false },
      // RFC 8705: apps registered with a certificate subject authenticate with it (tls_client_auth)
      // and get access tokens bound to it, which the API checks (http/auth.ts).
      mTLS: {
        enabled: true,
        tlsClientAuth: true,
        certificateBoundAccessTokens: true,
        getCertificate: (ctx) => peerCertificate(ctx.socket),
        certificateAuthorized: (ctx) => peerCertificateTrusted(ctx.socket),
        certificateSubjectMatches: (ctx, property, expected) => {
          const certificate = peerCertificate(ctx.socket);
          return (
            property === 'tls_client_auth_subject_dn' &&
            certificate !== undefined &&
            subjectMatches(certificate, expected)
          );
        },
      },
      introspection: { enabled: true, allowedPolicy: own_tokens },
      revocation: { enabled: true, allowedPolicy: own_tokens },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => api_resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== api_resource) throw new errors.InvalidTarget();
          return {
            scope: partner_scopes.join(' '),
            audience: api_resource,
            accessTokenFormat: 'opaque',
            accessTokenTTL: ttl.access_token_ttl_s,
          };
        },
      },
    },
    // Every authorization asks the holder again (a new consent, with its own wallets): the only
    // grant an authorization uses is the one its consent page just made.
    loadExistingGrant: async (ctx) => {
      const grant_id = ctx.oidc.result?.consent?.grantId;
      return grant_id === undefined ? undefined : ctx.oidc.provider.Grant.find(grant_id);
    },
    // Every refresh gives a new refresh token; a used one presented again revokes the grant.
    rotateRefreshToken: () => true,
    // Revoking any token of a consent (RFC 7009) ends the consent: the provider revokes the grant's
    // every token anyway, and a consent left "active" with nothing usable would mislead the holder.
    revokeGrantPolicy: () => true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Tokens live by the consent, not by the holder's session on the consent page.
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: ttl.access_token_ttl_s,
      AuthorizationCode: 60,
      RefreshToken: ttl.refresh_token_ttl_s,
      Grant: ttl.consent_ttl_s,
      Interaction: 10 * 60,
      // A holder signed in on a shared browser: the next app's consent page asks again soon.
      Session: 15 * 60,
    },
    interactions: { url: (_ctx, interaction) => `${oauth_mount_path}/interaction/${interaction.uid}` },
    cookies: { keys: [...ttl.cookie_keys] },
    // No ID tokens are issued (no openid scope); the provider still wants a signing key.
    jwks: { keys: [signingKey()] },
    // Apps are confidential, server-side clients: no browser calls the token endpoints cross-origin.
    clientBasedCORS: () => false,
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Content-Security-Policy', page_csp);
      ctx.set('X-Frame-Options', 'DENY');
      ctx.body = messagePage('Something went wrong', `${out.error}: ${out.error_description ?? ''}`);
    },
  };
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256' };
}
