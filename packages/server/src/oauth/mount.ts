import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { challengeSettings } from '../challenges/service.js';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Clock } from '../shared/clock.js';
import { holderPages } from './holder-pages.js';
import { interactionRoutes } from './interactions.js';
import { createProvider, oauth_mount_path } from './provider.js';
import { challengeSignIn } from './sign-in.js';

export interface OAuthDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly config: Config;
}

const metadata_example = {
  issuer: 'https://purse.example.com/oauth',
  authorization_endpoint: 'https://purse.example.com/oauth/auth',
  token_endpoint: 'https://purse.example.com/oauth/token',
  introspection_endpoint: 'https://purse.example.com/oauth/token/introspection',
  revocation_endpoint: 'https://purse.example.com/oauth/token/revocation',
  response_types_supported: ['code'],
  grant_types_supported: ['authorization_code', 'refresh_token'],
  code_challenge_methods_supported: ['S256'],
  scopes_supported: ['wallets:read', 'transactions:read', 'payments:write'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'tls_client_auth'],
};

/**
 * The authorization server for partner apps, inside the API's Fastify instance: every request
 * under /oauth (except the consent pages) is handed, raw, to oidc-provider, which reads its own
 * bodies; RFC 8414 metadata is served at /.well-known/oauth-authorization-server (and with the
 * issuer's path appended, as RFC 8414 section 3 builds it).
 */
export async function registerOAuth(app: FastifyInstance, deps: OAuthDeps): Promise<Provider> {
  const provider = createProvider({ pool: deps.pool, clock: deps.clock, config: deps.config.oauth });
  const callback = provider.callback();
  const pass = (request: FastifyRequest, reply: FastifyReply, path: string) => {
    reply.hijack();
    const raw = request.raw as typeof request.raw & { originalUrl?: string };
    // The provider learns its mount path from originalUrl minus url, for the URLs it builds.
    raw.originalUrl = `${oauth_mount_path}${path}`;
    raw.url = path;
    callback(raw, reply.raw);
  };
  await app.register(async (server) => {
    // Bodies are the provider's to read (form posts to /token, /token/introspection...).
    server.removeAllContentTypeParsers();
    server.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    server.all(`${oauth_mount_path}/*`, { schema: { hide: true } }, (request, reply) =>
      pass(request, reply, request.raw.url?.slice(oauth_mount_path.length) ?? '/'),
    );
    for (const url of [
      '/.well-known/oauth-authorization-server',
      `/.well-known/oauth-authorization-server${oauth_mount_path}`,
    ])
      server.get(
        url,
        {
          schema: {
            tags: ['OAuth'],
            summary: 'Authorization server metadata',
            description:
              'RFC 8414 metadata of the authorization server partner apps use: its endpoints, PKCE S256, the authorization code and refresh token grants, and the partner scopes. No key needed.',
            security: [],
            response: {
              200: Type.Object(
                { issuer: Type.String() },
                { additionalProperties: true, examples: [metadata_example] },
              ),
            },
          },
        },
        (request, reply) => pass(request, reply, '/.well-known/openid-configuration'),
      );
  });
  const sign_in = challengeSignIn({
    pool: deps.pool,
    clock: deps.clock,
    settings: challengeSettings(deps.config),
    holder_wrong_codes_max: deps.config.challenges.holder_wrong_codes_max,
  });
  const key = deps.config.oauth.cookie_keys[0] ?? '';
  await app.register(async (pages) =>
    interactionRoutes(pages, {
      pool: deps.pool,
      clock: deps.clock,
      provider,
      sign_in,
      csrf_key: key,
      consent_ttl_s: deps.config.oauth.consent_ttl_s,
    }),
  );
  await app.register(async (pages) =>
    holderPages(pages, { pool: deps.pool, clock: deps.clock, sign_in, key }),
  );
  return provider;
}
