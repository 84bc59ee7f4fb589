import type { Adapter, AdapterPayload } from 'oidc-provider';
import { tokenDigest } from '../auth/consent-access.js';
import { inTransaction, type Pool } from '../db/pool.js';
import type { Clock } from '../shared/clock.js';
import { findClientRow } from './clients.js';
import { revokeConsentOfGrant } from './consents.js';

/**
 * Where the authorization server keeps its models (sessions, interactions, grants, codes, tokens):
 * one table, `oauth_payloads`, a row per instance with the grant it belongs to, so that revoking a
 * consent deletes everything of its grant in one statement. Apps (`Client`) are read from
 * `oauth_clients`, the table the API registers them in.
 */
export function oauthAdapter(deps: { pool: Pool; clock: Clock }): (name: string) => Adapter {
  return (name) => (name === 'Client' ? clientAdapter(deps.pool) : new PayloadAdapter(name, deps));
}

/** Bearer credentials: stored by digest (auth/consent-access.ts tokenDigest), never in clear. */
const hashed_kinds: ReadonlySet<string> = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode']);

/**
 * Times here are the authorization server's: real time, as oidc-provider stamps iat and exp with
 * Date.now(), whatever Purse's clock says. Consents expire by Purse's clock.
 */
class PayloadAdapter implements Adapter {
  private readonly hashed: boolean;

  constructor(
    private readonly kind: string,
    private readonly deps: { pool: Pool; clock: Clock },
  ) {
    this.hashed = hashed_kinds.has(kind);
  }

  /** A code's or token's row is keyed by its digest; other models' by their id. */
  private rowId(id: string): string {
    return this.hashed ? tokenDigest(id) : id;
  }

  async upsert(id: string, payload: AdapterPayload, expires_in_s?: number): Promise<void> {
    withoutLoginHint(payload);
    // A token's payload names it (jti): kept out of the row, given back by find().
    const { jti: _token, ...without_token } = payload;
    const stored = this.hashed ? without_token : payload;
    const grant_id = payload.grantId ?? (this.kind === 'Grant' ? id : null);
    const expires_at = expires_in_s === undefined ? null : new Date(Date.now() + expires_in_s * 1_000);
    await this.deps.pool.query(
      `INSERT INTO oauth_payloads (kind, id, payload, grant_id, uid, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (kind, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
      [this.kind, this.rowId(id), JSON.stringify(stored), grant_id, payload.uid ?? null, expires_at],
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const found = await this.findWhere('id = $2', this.rowId(id));
    return found === undefined || !this.hashed ? found : { ...found, jti: id };
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('uid = $2', uid);
  }

  async findByUserCode(): Promise<undefined> {
    return undefined; // No device flow.
  }

  async consume(id: string): Promise<void> {
    await this.deps.pool.query('UPDATE oauth_payloads SET consumed_at = now() WHERE kind = $1 AND id = $2', [
      this.kind,
      this.rowId(id),
    ]);
  }

  /**
   * Destroying a grant is how the server revokes one: the app revoked its refresh token (RFC 7009),
   * or a code or a rotated refresh token was used twice. The consent behind it is revoked with it.
   */
  async destroy(id: string): Promise<void> {
    if (this.kind !== 'Grant') {
      await this.deps.pool.query('DELETE FROM oauth_payloads WHERE kind = $1 AND id = $2', [
        this.kind,
        this.rowId(id),
      ]);
      return;
    }
    await inTransaction(this.deps.pool, async (db) => {
      await db.query('DELETE FROM oauth_payloads WHERE grant_id = $1', [id]);
      await revokeConsentOfGrant(db, id, 'client', this.deps.clock.now());
    });
  }

  async revokeByGrantId(grant_id: string): Promise<void> {
    await this.deps.pool.query('DELETE FROM oauth_payloads WHERE kind = $1 AND grant_id = $2', [
      this.kind,
      grant_id,
    ]);
  }

  private async findWhere(condition: string, value: string): Promise<AdapterPayload | undefined> {
    const found = await this.deps.pool.query<{ payload: AdapterPayload; consumed: boolean }>(
      `SELECT payload, consumed_at IS NOT NULL AS consumed FROM oauth_payloads
       WHERE kind = $1 AND ${condition} AND (expires_at IS NULL OR expires_at > now())`,
      [this.kind, value],
    );
    const row = found.rows[0];
    if (row === undefined) return undefined;
    return row.consumed ? { ...row.payload, consumed: true } : row.payload;
  }
}

/**
 * An app may send `login_hint` (often the holder's email) with its authorization request; Purse
 * never uses it, and personal data is not kept in clear at rest, so it is not stored.
 */
function withoutLoginHint(payload: AdapterPayload): void {
  // Where oidc-provider keeps it: the request's parameters and the login prompt's details.
  for (const holder of [payload.params, payload.prompt?.details] as (Record<string, unknown> | undefined)[])
    if (holder !== undefined && 'login_hint' in holder) delete holder.login_hint;
}

/**
 * Apps as the server sees them: confidential clients of the authorization code flow with refresh
 * tokens, limited to their registered scopes. `client_secret` holds the secret's SHA-256 in hex;
 * the provider compares presented secrets through it (see provider.ts). An app registered with a
 * certificate subject authenticates with mutual TLS, and its access tokens are bound to its
 * certificate (RFC 8705). A deleted app is unknown.
 */
function clientAdapter(pool: Pool): Adapter {
  const unsupported = async () => {
    throw new Error('apps are registered through /v1/oauth_clients');
  };
  return {
    async find(id: string) {
      const row = await findClientRow(pool, id);
      if (row === undefined || row.revoked_at !== null) return undefined;
      return {
        client_id: row.id,
        client_name: row.name,
        redirect_uris: row.redirect_uris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: row.scopes.join(' '),
        // The signing key is ES256 (provider.ts); no ID token is issued, but the metadata must agree.
        id_token_signed_response_alg: 'ES256',
        ...(row.secret_hash === null
          ? {
              token_endpoint_auth_method: 'tls_client_auth',
              tls_client_auth_subject_dn: row.tls_client_auth_subject_dn ?? '',
              tls_client_certificate_bound_access_tokens: true,
            }
          : { client_secret: row.secret_hash.toString('hex') }),
      };
    },
    upsert: unsupported,
    findByUid: unsupported,
    findByUserCode: unsupported,
    consume: unsupported,
    destroy: unsupported,
    revokeByGrantId: unsupported,
  };
}

/**
 * Deletes up to `limit` of the authorization server's records past their expiry (codes, tokens,
 * sessions, interactions, grants of expired consents), by real time as they were stamped. Reads
 * already ignore them; this keeps the table small. Answers how many went.
 */
export async function purgeExpiredPayloads(pool: Pool, limit: number): Promise<number> {
  const purged = await pool.query(
    `DELETE FROM oauth_payloads WHERE (kind, id) IN (
       SELECT kind, id FROM oauth_payloads WHERE expires_at <= now() LIMIT $1)`,
    [limit],
  );
  return purged.rowCount ?? 0;
}
