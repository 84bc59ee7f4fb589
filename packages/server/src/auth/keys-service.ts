import type { Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Metadata } from '../shared/metadata.js';
import { fetchPage, type Page, type PageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { current_api_version } from '../shared/versions.js';
import { generateSecret, hashSecret, secretMode } from './secrets.js';

export interface ApiKeyRow {
  id: string;
  livemode: boolean;
  name: string;
  secret_hash: Buffer;
  secret_last4: string;
  scopes: string[];
  api_version: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  metadata: Metadata;
  created_at: Date;
}

export interface ApiKeyView {
  id: string;
  object: 'api_key';
  livemode: boolean;
  name: string;
  redacted_secret: string;
  scopes: string[];
  api_version: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  metadata: Metadata;
  created_at: string;
  /** Present only in the response that created the key. */
  secret?: string;
}

export interface NewApiKey {
  readonly livemode: boolean;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expires_at?: Date;
  readonly metadata?: Metadata;
}

export function viewApiKey(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    object: 'api_key',
    livemode: row.livemode,
    name: row.name,
    redacted_secret: `sk_${row.livemode ? 'live' : 'test'}_...${row.secret_last4}`,
    scopes: row.scopes,
    api_version: row.api_version,
    expires_at: row.expires_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
  };
}

/** Creates a key and its `api_key.created` event: call it inside a transaction. */
export async function createApiKey(db: Queryable, input: NewApiKey, secret?: string): Promise<ApiKeyView> {
  const key_secret = secret ?? generateSecret(input.livemode);
  const result = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, livemode, name, secret_hash, secret_last4, scopes, api_version, expires_at, metadata)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [
      newId('api_key'),
      input.livemode,
      input.name,
      hashSecret(key_secret),
      key_secret.slice(-4),
      input.scopes,
      current_api_version,
      input.expires_at ?? null,
      input.metadata ?? {},
    ],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('INSERT ... RETURNING gave no row');
  const view = viewApiKey(row);
  await recordEvents(db, [eventOf('api_key.created', view)], row.created_at);
  return { ...view, secret: key_secret };
}

export async function getApiKey(db: Queryable, livemode: boolean, id: string): Promise<Result<ApiKeyView>> {
  const result = await db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE id = $1 AND livemode = $2', [
    id,
    livemode,
  ]);
  const row = result.rows[0];
  return row === undefined ? fail(notFound('api key', id)) : ok(viewApiKey(row));
}

export function listApiKeys(
  db: Queryable,
  livemode: boolean,
  page: PageQuery,
): Promise<Result<Page<ApiKeyView>>> {
  return fetchPage(
    db,
    { table: 'api_keys', where: ['livemode = $1'], params: [livemode], id_prefix: 'key', map: viewApiKey },
    page,
  );
}

export async function revokeApiKey(
  db: Queryable,
  livemode: boolean,
  id: string,
  now: Date,
): Promise<Result<ApiKeyView>> {
  const result = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND livemode = $2 AND revoked_at IS NULL RETURNING *`,
    [id, livemode, now],
  );
  const row = result.rows[0];
  if (row !== undefined) {
    const view = viewApiKey(row);
    await recordEvents(db, [eventOf('api_key.revoked', view)], now);
    return ok(view);
  }
  const existing = await getApiKey(db, livemode, id);
  if (!existing.ok) return existing;
  return fail(domainError('api_key_revoked', `API key ${id} was revoked at ${existing.value.revoked_at}.`));
}

export async function findApiKeyBySecretHash(
  db: Queryable,
  secret_hash: Buffer,
): Promise<ApiKeyRow | undefined> {
  const result = await db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE secret_hash = $1', [secret_hash]);
  return result.rows[0];
}

export const admin_scopes: readonly string[] = ['*'];

/**
 * On a database with no keys yet, registers the admin key: `PURSE_BOOTSTRAP_KEY` when given (its
 * mode from its prefix), else a new test-mode key whose secret is returned so it can be printed
 * once. A given bootstrap key that is already registered is left alone, so restarts are harmless.
 */
export async function ensureBootstrapKey(
  db: Queryable,
  bootstrap_secret: string | undefined,
): Promise<string | undefined> {
  if (bootstrap_secret !== undefined) {
    const mode = secretMode(bootstrap_secret);
    if (mode === undefined)
      throw new Error('PURSE_BOOTSTRAP_KEY must look like sk_test_<24+ letters and digits>');
    if ((await findApiKeyBySecretHash(db, hashSecret(bootstrap_secret))) === undefined) {
      await createApiKey(
        db,
        { livemode: mode.livemode, name: 'Bootstrap admin key', scopes: admin_scopes },
        bootstrap_secret,
      );
    }
    return undefined;
  }
  const existing = await db.query('SELECT 1 FROM api_keys LIMIT 1');
  if (existing.rowCount !== 0) return undefined;
  const created = await createApiKey(db, { livemode: false, name: 'Admin key', scopes: admin_scopes });
  return created.secret;
}
