import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.js';
import type { SpendPolicyValue } from '../policies/schemas.js';
import { type DomainError, domainError } from '../shared/errors.js';
import { current_api_version } from '../shared/versions.js';
import type { AuthContext } from './context.js';
import { internalScopes } from './partner-scopes.js';

/** A consent as the access checks need it, with its app's state. */
export interface ConsentGrantRow {
  id: string;
  livemode: boolean;
  client_id: string;
  holder_id: string;
  scopes: string[];
  wallet_ids: string[];
  spend_policy: SpendPolicyValue | null;
  status: 'active' | 'revoked';
  expires_at: Date;
  client_revoked_at: Date | null;
}

/** An OAuth access token (opaque: the stored id is the token) with the consent it was issued under. */
export interface AccessTokenRow extends ConsentGrantRow {
  token_scope: string;
  token_expires_at: Date | null;
  /** Set for a token bound to the app's client certificate (RFC 8705 `x5t#S256`). */
  certificate_thumbprint: string | null;
}

/**
 * How codes and tokens are stored: by their SHA-256 (base64url), never in clear, so a database dump
 * holds no usable token (they carry at least 256 random bits, so a fast hash is enough, as for API
 * keys). The authorization server's adapter stores them so, and the API looks them up so.
 */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

const consent_columns = `c.id, c.livemode, c.client_id, c.holder_id, c.scopes, c.wallet_ids, c.spend_policy,
  c.status, c.expires_at, cl.revoked_at AS client_revoked_at`;

/**
 * The access token `token` and its consent, read from the database on every request: no cache,
 * so revoking a consent (which deletes its tokens and marks it revoked in one transaction) takes
 * effect at once in every process.
 */
export async function findAccessToken(db: Queryable, token: string): Promise<AccessTokenRow | undefined> {
  const found = await db.query<AccessTokenRow>(
    `SELECT ${consent_columns}, coalesce(p.payload->>'scope', '') AS token_scope, p.expires_at AS token_expires_at,
       p.payload->>'x5t#S256' AS certificate_thumbprint
     FROM oauth_payloads p
     JOIN oauth_consents c ON c.grant_id = p.grant_id
     JOIN oauth_clients cl ON cl.id = c.client_id
     WHERE p.kind = 'AccessToken' AND p.id = $1 AND p.consumed_at IS NULL`,
    [tokenDigest(token)],
  );
  return found.rows[0];
}

export async function findConsentGrant(
  db: Queryable,
  consent_id: string,
): Promise<ConsentGrantRow | undefined> {
  const found = await db.query<ConsentGrantRow>(
    `SELECT ${consent_columns} FROM oauth_consents c JOIN oauth_clients cl ON cl.id = c.client_id WHERE c.id = $1`,
    [consent_id],
  );
  return found.rows[0];
}

/**
 * In a money movement's transaction: whether the consent it is made under still stands, read with
 * a share lock. Revoking takes the row's update lock, so a payment and a revocation are ordered:
 * a payment that commits first ran under a standing consent; one that comes after sees it revoked,
 * even if its token was checked before the revocation committed. Undefined for an API key.
 */
export async function consentWithdrawn(
  db: Queryable,
  auth: AuthContext,
  now: Date,
): Promise<DomainError | undefined> {
  if (auth.consent === undefined) return undefined;
  const found = await db.query<ConsentGrantRow>(
    `SELECT ${consent_columns} FROM oauth_consents c JOIN oauth_clients cl ON cl.id = c.client_id
     WHERE c.id = $1 FOR SHARE OF c`,
    [auth.consent.id],
  );
  const row = found.rows[0];
  const refusal = row === undefined ? 'The consent is not known.' : consentRefusal(row, now);
  return refusal === undefined ? undefined : domainError('invalid_access_token', refusal);
}

/** Why the consent cannot be acted under at `now`, or undefined when it can. */
export function consentRefusal(row: ConsentGrantRow, now: Date): string | undefined {
  if (row.status !== 'active') return 'The consent behind this token was revoked.';
  if (row.client_revoked_at !== null) return 'The app this token was issued to was deleted.';
  if (row.expires_at <= now) return 'The consent behind this token has expired.';
  return undefined;
}

/**
 * A request made under a consent: it acts as the consent (its id stands where an API key's would),
 * on the consented wallets only, with the internal scopes the granted partner scopes map to, and
 * moves money within the consent's spend policy. `granted` narrows the consent's scopes (a token
 * may carry fewer).
 */
export function consentAuthContext(
  row: ConsentGrantRow,
  granted: readonly string[] = row.scopes,
): AuthContext {
  const scopes = row.scopes.filter((scope) => granted.includes(scope));
  return {
    key_id: row.id,
    livemode: row.livemode,
    scopes: internalScopes(scopes),
    api_version: current_api_version,
    restrictions: { wallet_ids: row.wallet_ids },
    spend_policy: row.spend_policy,
    rate_limit_requests_max: null,
    consent: { id: row.id, client_id: row.client_id, holder_id: row.holder_id, scopes },
  };
}
