import { randomBytes } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { hashSecret, sameHash } from '../auth/secrets.js';
import type { Limits } from '../config.js';
import type { Queryable } from '../db/pool.js';
import type { SpendPolicyValue } from '../policies/schemas.js';
import { validateSpendPolicy } from '../policies/validate.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata, type Metadata } from '../shared/metadata.js';
import { fetchPage, type Page, type PageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { revokeConsentsOfClient } from './consents.js';
import type { CreateOAuthClientBody } from './schemas.js';

export interface OAuthClientRow {
  id: string;
  livemode: boolean;
  name: string;
  redirect_uris: string[];
  scopes: string[];
  spend_policy: SpendPolicyValue | null;
  secret_hash: Buffer | null;
  secret_last4: string | null;
  tls_client_auth_subject_dn: string | null;
  created_by: string;
  metadata: Metadata;
  revoked_at: Date | null;
  created_at: Date;
}

export interface OAuthClientView {
  id: string;
  object: 'oauth_client';
  livemode: boolean;
  name: string;
  redirect_uris: string[];
  scopes: string[];
  spend_policy: SpendPolicyValue | null;
  redacted_secret: string | null;
  tls_client_auth_subject_dn: string | null;
  metadata: Metadata;
  revoked_at: string | null;
  created_at: string;
  /** Only in the response that registered an app authenticating with a secret. */
  client_secret?: string;
}

function modeName(livemode: boolean): string {
  return livemode ? 'live' : 'test';
}

export function oauthClientView(row: OAuthClientRow): OAuthClientView {
  return {
    id: row.id,
    object: 'oauth_client',
    livemode: row.livemode,
    name: row.name,
    redirect_uris: row.redirect_uris,
    scopes: row.scopes,
    spend_policy: row.spend_policy,
    redacted_secret:
      row.secret_last4 === null ? null : `pcs_${modeName(row.livemode)}_...${row.secret_last4}`,
    tls_client_auth_subject_dn: row.tls_client_auth_subject_dn,
    metadata: row.metadata,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}

export interface ClientContext {
  readonly db: Queryable;
  readonly livemode: boolean;
  readonly now: Date;
  readonly limits: Limits;
  /** The API key registering or deleting the app. */
  readonly key_id: string;
}

type NewClient = Static<typeof CreateOAuthClientBody>;

/**
 * Registers an app. One authenticating with a secret gets it in this answer only (it is stored as
 * a SHA-256 hash); one registered with a certificate subject authenticates with mutual TLS.
 */
export async function createOAuthClient(
  ctx: ClientContext,
  body: NewClient,
): Promise<Result<OAuthClientView>> {
  const checked = await checkNewClient(ctx, body);
  if (!checked.ok) return checked;
  const mtls = body.tls_client_auth_subject_dn !== undefined;
  const secret = mtls ? undefined : `pcs_${modeName(ctx.livemode)}_${randomBytes(32).toString('base64url')}`;
  const inserted = await ctx.db.query<OAuthClientRow>(
    `INSERT INTO oauth_clients (id, livemode, name, redirect_uris, scopes, spend_policy, secret_hash,
       secret_last4, tls_client_auth_subject_dn, created_by, metadata, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
    [
      newId('oauth_client', ctx.now.getTime()),
      ctx.livemode,
      body.name,
      body.redirect_uris,
      body.scopes,
      body.spend_policy === undefined ? null : JSON.stringify(body.spend_policy),
      secret === undefined ? null : hashSecret(secret),
      secret?.slice(-4) ?? null,
      body.tls_client_auth_subject_dn ?? null,
      ctx.key_id,
      JSON.stringify(body.metadata ?? {}),
      ctx.now,
    ],
  );
  const view = oauthClientView(inserted.rows[0] as OAuthClientRow);
  return ok(secret === undefined ? view : { ...view, client_secret: secret });
}

async function checkNewClient(ctx: ClientContext, body: NewClient): Promise<Result<NewClient>> {
  for (const [index, uri] of body.redirect_uris.entries()) {
    const refusal = redirectUriRefusal(uri, ctx.livemode);
    if (refusal !== undefined)
      return fail(domainError('invalid_redirect_uri', refusal, `redirect_uris.${index}`));
  }
  const pays = body.scopes.includes('payments:write');
  if (pays !== (body.spend_policy !== undefined))
    return fail(
      domainError(
        'invalid_request',
        pays
          ? 'An app that may ask for payments:write needs a spend_policy: the limits its payments run under.'
          : 'A spend_policy applies only to an app that may ask for payments:write.',
        'spend_policy',
      ),
    );
  if (body.spend_policy !== undefined) {
    const valid = await validateSpendPolicy(ctx.db, ctx.livemode, body.spend_policy, 'spend_policy');
    if (!valid.ok) return valid;
  }
  const metadata = checkMetadata(body.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  return ok(body);
}

/**
 * Why `uri` cannot be a redirect URI, or undefined. Absolute, no fragment (RFC 6749 3.1.2), no
 * credentials; https, or in test mode plain http to the loopback for apps under development.
 */
export function redirectUriRefusal(uri: string, livemode: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${uri} is not an absolute URL.`;
  }
  if (url.hash !== '' || uri.includes('#')) return 'A redirect URI has no fragment.';
  if (url.username !== '' || url.password !== '') return 'A redirect URI carries no credentials.';
  if (url.protocol === 'https:') return undefined;
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (url.protocol === 'http:' && loopback && !livemode) return undefined;
  return livemode
    ? 'A live-mode redirect URI must use https.'
    : 'A redirect URI must use https, or http://localhost or http://127.0.0.1 in test mode.';
}

export async function getOAuthClient(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<OAuthClientView>> {
  const row = await findClientRow(db, id);
  return row === undefined || row.livemode !== livemode
    ? fail(notFound('oauth_client', id))
    : ok(oauthClientView(row));
}

/** The app with this client_id, of either mode (the authorization server knows no mode). */
export async function findClientRow(db: Queryable, id: string): Promise<OAuthClientRow | undefined> {
  // The provider passes any client_id it is given, NUL bytes included: what cannot be an id is none.
  if (!/^oac_[0-9a-z]{26}$/.test(id)) return undefined;
  const found = await db.query<OAuthClientRow>('SELECT * FROM oauth_clients WHERE id = $1', [id]);
  return found.rows[0];
}

/** Compares a presented client_secret with the stored hash, in constant time. */
export function clientSecretMatches(secret_hash: Buffer, presented: string): boolean {
  return sameHash(secret_hash, hashSecret(presented));
}

export function listOAuthClients(
  db: Queryable,
  livemode: boolean,
  page: PageQuery,
): Promise<Result<Page<OAuthClientView>>> {
  return fetchPage(
    db,
    {
      table: 'oauth_clients',
      where: ['livemode = $1'],
      params: [livemode],
      id_prefix: 'oac',
      map: oauthClientView,
    },
    page,
  );
}

/**
 * Deletes (revokes) an app: from the commit on, it cannot authenticate, and every consent to it is
 * revoked with its tokens. The row stays, for the consents' history.
 */
export async function revokeOAuthClient(ctx: ClientContext, id: string): Promise<Result<OAuthClientView>> {
  const found = await ctx.db.query<OAuthClientRow>(
    'SELECT * FROM oauth_clients WHERE id = $1 AND livemode = $2 FOR UPDATE',
    [id, ctx.livemode],
  );
  const row = found.rows[0];
  if (row === undefined) return fail(notFound('oauth_client', id));
  if (row.revoked_at !== null) return fail(domainError('invalid_state', `The app ${id} is already deleted.`));
  const updated = await ctx.db.query<OAuthClientRow>(
    'UPDATE oauth_clients SET revoked_at = $2 WHERE id = $1 RETURNING *',
    [id, ctx.now],
  );
  await revokeConsentsOfClient(ctx.db, id, ctx.key_id, ctx.now);
  return ok(oauthClientView(updated.rows[0] as OAuthClientRow));
}
