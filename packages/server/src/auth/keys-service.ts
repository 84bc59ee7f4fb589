import type { Limits } from '../config.js';
import type { Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { eventOf, recordEvents } from '../events/index.js';
import type { SpendPolicyValue } from '../policies/schemas.js';
import { requestsPerWindow } from '../ratelimit/policy.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Metadata } from '../shared/metadata.js';
import { fetchPage, type Page, type PageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { current_api_version } from '../shared/versions.js';
import type { AuthContext } from './context.js';
import { excessPower, type KeyPowers, walletsNamed } from './powers.js';
import type { RestrictionsValue } from './restrictions.js';
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
  restrictions: RestrictionsValue | null;
  spend_policy: SpendPolicyValue | null;
  rate_limit_requests_max: number | null;
  previous_secret_hash: Buffer | null;
  previous_secret_expires_at: Date | null;
  rolled_at: Date | null;
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
  restrictions: RestrictionsValue | null;
  spend_policy: SpendPolicyValue | null;
  rate_limit_requests_max: number | null;
  rolled_at: string | null;
  previous_secret_expires_at: string | null;
  /** Present only in the response that created or rolled the key. */
  secret?: string;
}

export interface NewApiKey {
  readonly livemode: boolean;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expires_at?: Date;
  readonly metadata?: Metadata;
  readonly restrictions?: RestrictionsValue;
  readonly spend_policy?: SpendPolicyValue;
  readonly rate_limit_requests_max?: number;
}

/** A request made with this key, as the access checks read it. */
export function keyAuthContext(key: ApiKeyRow): AuthContext {
  return {
    key_id: key.id,
    livemode: key.livemode,
    scopes: key.scopes,
    api_version: key.api_version,
    restrictions: key.restrictions,
    spend_policy: key.spend_policy,
    rate_limit_requests_max: key.rate_limit_requests_max,
  };
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
    restrictions: row.restrictions,
    spend_policy: row.spend_policy,
    rate_limit_requests_max: row.rate_limit_requests_max,
    rolled_at: row.rolled_at?.toISOString() ?? null,
    previous_secret_expires_at: row.previous_secret_expires_at?.toISOString() ?? null,
  };
}

/** Creates a key and its `api_key.created` event: call it inside a transaction. */
export async function createApiKey(db: Queryable, input: NewApiKey, secret?: string): Promise<ApiKeyView> {
  const key_secret = secret ?? generateSecret(input.livemode);
  const result = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, livemode, name, secret_hash, secret_last4, scopes, api_version, expires_at, metadata,
       restrictions, spend_policy, rate_limit_requests_max)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
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
      input.restrictions ?? null,
      input.spend_policy ?? null,
      input.rate_limit_requests_max ?? null,
    ],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('INSERT ... RETURNING gave no row');
  const view = viewApiKey(row);
  await recordEvents(db, [eventOf('api_key.created', view)], row.created_at);
  return { ...view, secret: key_secret };
}

export async function getApiKey(db: Queryable, livemode: boolean, id: string): Promise<Result<ApiKeyView>> {
  const row = await rowById<ApiKeyRow>(db, 'api_keys', livemode, id);
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
  manager: KeyManager,
  id: string,
  now: Date,
): Promise<Result<ApiKeyView>> {
  const row = await rowById<ApiKeyRow>(db, 'api_keys', manager.livemode, id, { for_update: true });
  if (row === undefined) return fail(notFound('api key', id));
  if (row.revoked_at !== null)
    return fail(
      domainError('api_key_revoked', `API key ${id} was revoked at ${row.revoked_at.toISOString()}.`),
    );
  const allowed = await mayManage(db, manager, row);
  if (!allowed.ok) return allowed;
  const result = await db.query<ApiKeyRow>('UPDATE api_keys SET revoked_at = $2 WHERE id = $1 RETURNING *', [
    id,
    now,
  ]);
  const revoked = result.rows[0];
  if (revoked === undefined) throw new Error('UPDATE ... RETURNING gave no row');
  const view = viewApiKey(revoked);
  await recordEvents(db, [eventOf('api_key.revoked', view)], now);
  return ok(view);
}

export async function findApiKeyBySecretHash(
  db: Queryable,
  secret_hash: Buffer,
): Promise<ApiKeyRow | undefined> {
  const result = await db.query<ApiKeyRow>(
    'SELECT * FROM api_keys WHERE secret_hash = $1 OR previous_secret_hash = $1',
    [secret_hash],
  );
  return result.rows[0];
}

/**
 * Gives the key a new secret. The old one keeps working for `grace_s` seconds (0: it stops at once),
 * so deployments can switch over; a secret rolled earlier and still in its grace ends now.
 */
export async function rollApiKey(
  db: Queryable,
  manager: KeyManager,
  id: string,
  grace_s: number,
  now: Date,
): Promise<Result<ApiKeyView>> {
  const row = await lockActiveKey(db, manager.livemode, id, now);
  if (!row.ok) return row;
  const allowed = await mayManage(db, manager, row.value);
  if (!allowed.ok) return allowed;
  const secret = generateSecret(manager.livemode);
  const result = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET secret_hash = $2, secret_last4 = $3, rolled_at = $4,
       previous_secret_hash = CASE WHEN $5::int > 0 THEN secret_hash END,
       previous_secret_expires_at = CASE WHEN $5::int > 0 THEN $4::timestamptz + make_interval(secs => $5::int) END
     WHERE id = $1 RETURNING *`,
    [id, hashSecret(secret), secret.slice(-4), now, grace_s],
  );
  const updated = result.rows[0];
  if (updated === undefined) throw new Error('UPDATE ... RETURNING gave no row');
  return ok({ ...viewApiKey(updated), secret });
}

export interface ApiKeyChanges {
  readonly name?: string;
  readonly metadata?: Metadata;
  readonly spend_policy?: SpendPolicyValue | null;
  readonly rate_limit_requests_max?: number | null;
}

/** Changes a key's name, metadata, spend policy (null removes it) or rate limit (null: the default). */
export async function updateApiKey(
  db: Queryable,
  manager: KeyManager,
  id: string,
  changes: ApiKeyChanges,
  now: Date,
): Promise<Result<ApiKeyView>> {
  const row = await lockActiveKey(db, manager.livemode, id, now);
  if (!row.ok) return row;
  const before = await mayManage(db, manager, row.value);
  if (!before.ok) return before;
  const changed: ApiKeyRow = {
    ...row.value,
    name: changes.name ?? row.value.name,
    metadata: changes.metadata ?? row.value.metadata,
    spend_policy: changes.spend_policy === undefined ? row.value.spend_policy : changes.spend_policy,
    rate_limit_requests_max:
      changes.rate_limit_requests_max === undefined
        ? row.value.rate_limit_requests_max
        : changes.rate_limit_requests_max,
  };
  // The key as it would be after the change must stay within the manager too (no lifting a policy).
  const after = await mayManage(db, manager, changed);
  if (!after.ok) return after;
  const result = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET name = $2, metadata = $3, spend_policy = $4, rate_limit_requests_max = $5
     WHERE id = $1 RETURNING *`,
    [id, changed.name, changed.metadata, changed.spend_policy, changed.rate_limit_requests_max],
  );
  const updated = result.rows[0];
  if (updated === undefined) throw new Error('UPDATE ... RETURNING gave no row');
  return ok(viewApiKey(updated));
}

async function lockActiveKey(
  db: Queryable,
  livemode: boolean,
  id: string,
  now: Date,
): Promise<Result<ApiKeyRow>> {
  const row = await rowById<ApiKeyRow>(db, 'api_keys', livemode, id, { for_update: true });
  if (row === undefined) return fail(notFound('api key', id));
  if (row.revoked_at !== null)
    return fail(
      domainError('api_key_revoked', `API key ${id} was revoked at ${row.revoked_at.toISOString()}.`),
    );
  if (row.expires_at !== null && row.expires_at <= now)
    return fail(domainError('invalid_state', `API key ${id} expired at ${row.expires_at.toISOString()}.`));
  return ok(row);
}

/**
 * Who creates, rolls, updates or revokes a key, in its mode: an API key, which may only manage keys
 * no more powerful than itself (see powers.ts), or the operator at the machine (`purse keys`).
 */
export type KeyManager =
  | { readonly kind: 'key'; readonly key_id: string; readonly livemode: boolean; readonly limits: Limits }
  /** A dashboard operator: the role's scopes, no restrictions, policy or expiry. */
  | {
      readonly kind: 'session';
      readonly scopes: readonly string[];
      readonly livemode: boolean;
      readonly limits: Limits;
    }
  | { readonly kind: 'operator'; readonly livemode: boolean };

/** The key's creation when `manager` may hold it: the one way the API mints keys. */
export async function createManagedApiKey(
  db: Queryable,
  manager: KeyManager,
  input: NewApiKey,
): Promise<Result<ApiKeyView>> {
  const allowed = await mayManage(db, manager, {
    id: null,
    livemode: input.livemode,
    scopes: input.scopes,
    restrictions: input.restrictions ?? null,
    spend_policy: input.spend_policy ?? null,
    expires_at: input.expires_at ?? null,
    rate_limit_requests_max: input.rate_limit_requests_max ?? null,
  });
  if (!allowed.ok) return allowed;
  return ok(await createApiKey(db, input));
}

type ManagedKey = Readonly<
  Pick<ApiKeyRow, 'livemode' | 'restrictions' | 'spend_policy' | 'expires_at' | 'rate_limit_requests_max'>
> & { readonly id: string | null; readonly scopes: readonly string[] };

async function mayManage(db: Queryable, manager: KeyManager, target: ManagedKey): Promise<Result<void>> {
  if (manager.kind === 'operator') return ok(undefined);
  const actor_powers = powersOf(await managerKey(db, manager), manager.limits);
  const target_powers = powersOf(target, manager.limits);
  const facts = { wallet_holder_ids: await walletHolders(db, walletsNamed(actor_powers, target_powers)) };
  const excess = excessPower(target_powers, actor_powers, facts);
  return excess === undefined ? ok(undefined) : fail(excess);
}

async function managerKey(
  db: Queryable,
  manager: Exclude<KeyManager, { kind: 'operator' }>,
): Promise<ManagedKey> {
  if (manager.kind === 'session') {
    const unbounded = {
      restrictions: null,
      spend_policy: null,
      expires_at: null,
      rate_limit_requests_max: 0,
    };
    return { id: null, livemode: manager.livemode, scopes: manager.scopes, ...unbounded };
  }
  const actor = await rowById<ApiKeyRow>(db, 'api_keys', manager.livemode, manager.key_id);
  assert(actor !== undefined, `the calling key ${manager.key_id} is not in its mode`);
  return actor;
}

function powersOf(key: ManagedKey, limits: Limits): KeyPowers {
  return {
    id: key.id,
    livemode: key.livemode,
    scopes: key.scopes,
    restrictions: key.restrictions,
    spend_policy: key.spend_policy,
    expires_at: key.expires_at,
    rate_limit_requests_max: requestsPerWindow(key, limits),
  };
}

async function walletHolders(
  db: Queryable,
  wallet_ids: readonly string[],
): Promise<Map<string, string | null>> {
  if (wallet_ids.length === 0) return new Map();
  const result = await db.query<{ id: string; holder_id: string | null }>(
    `SELECT id, holder_id FROM accounts WHERE id = ANY($1::text[]) AND kind = 'wallet'`,
    [wallet_ids],
  );
  return new Map(result.rows.map((row) => [row.id, row.holder_id]));
}

export const admin_scopes: readonly string[] = ['*'];

/** What start-up did about the admin key. */
export type BootstrapOutcome =
  /** A fresh database got a new test-mode admin key: print its secret once. */
  | { readonly kind: 'created'; readonly secret: string }
  /** PURSE_BOOTSTRAP_KEY was registered, or already was, or no key was needed. */
  | { readonly kind: 'ready' }
  /** PURSE_BOOTSTRAP_KEY was rolled or revoked once: it stays refused, and start-up says so. */
  | { readonly kind: 'retired'; readonly key_id: string; readonly reason: string; readonly retired_at: Date };

/**
 * On a database with no keys yet, registers the admin key: `PURSE_BOOTSTRAP_KEY` when given (its
 * mode from its prefix), else a new test-mode key whose secret is returned so it can be printed
 * once. A given bootstrap key that is already registered is left alone, so restarts are harmless;
 * one that was ever rolled or revoked is never registered again (it may have leaked).
 */
export async function ensureBootstrapKey(
  db: Queryable,
  bootstrap_secret: string | undefined,
): Promise<BootstrapOutcome> {
  if (bootstrap_secret !== undefined) {
    const mode = secretMode(bootstrap_secret);
    if (mode === undefined)
      throw new Error('PURSE_BOOTSTRAP_KEY must look like sk_test_<24+ letters and digits>');
    const hash = hashSecret(bootstrap_secret);
    const retired = await retiredSecret(db, hash);
    if (retired !== undefined) return { kind: 'retired', ...retired };
    if ((await findApiKeyBySecretHash(db, hash)) === undefined) {
      await createApiKey(
        db,
        { livemode: mode.livemode, name: 'Bootstrap admin key', scopes: admin_scopes },
        bootstrap_secret,
      );
    }
    return { kind: 'ready' };
  }
  const existing = await db.query('SELECT 1 FROM api_keys LIMIT 1');
  if (existing.rowCount !== 0) return { kind: 'ready' };
  const created = await createApiKey(db, { livemode: false, name: 'Admin key', scopes: admin_scopes });
  assert(created.secret !== undefined, 'a created key carries its secret');
  return { kind: 'created', secret: created.secret };
}

/** When and why a secret stopped being its key's (migration 0017 keeps every one). */
async function retiredSecret(
  db: Queryable,
  secret_hash: Buffer,
): Promise<{ key_id: string; reason: string; retired_at: Date } | undefined> {
  const result = await db.query<{ key_id: string; reason: string; retired_at: Date }>(
    `SELECT api_key_id AS key_id, reason, retired_at FROM retired_api_key_secrets WHERE secret_hash = $1`,
    [secret_hash],
  );
  return result.rows[0];
}
