import type { Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import type { SpendPolicyValue } from '../policies/schemas.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { fetchPage, type Page, type PageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';

export interface ConsentRow {
  id: string;
  livemode: boolean;
  client_id: string;
  holder_id: string;
  grant_id: string;
  scopes: string[];
  wallet_ids: string[];
  spend_policy: SpendPolicyValue | null;
  status: 'active' | 'revoked';
  revoked_by: string | null;
  revoked_at: Date | null;
  expires_at: Date;
  created_at: Date;
}

export interface ConsentView {
  id: string;
  object: 'consent';
  livemode: boolean;
  client_id: string;
  holder_id: string;
  scopes: string[];
  wallet_ids: string[];
  spend_policy: SpendPolicyValue | null;
  status: 'active' | 'revoked';
  revoked_at: string | null;
  revoked_by: string | null;
  expires_at: string;
  created_at: string;
}

export function consentView(row: ConsentRow): ConsentView {
  return {
    id: row.id,
    object: 'consent',
    livemode: row.livemode,
    client_id: row.client_id,
    holder_id: row.holder_id,
    scopes: row.scopes,
    wallet_ids: row.wallet_ids,
    spend_policy: row.spend_policy,
    status: row.status,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    revoked_by: row.revoked_by,
    expires_at: row.expires_at.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

export interface NewConsent {
  readonly livemode: boolean;
  readonly client_id: string;
  readonly holder_id: string;
  readonly grant_id: string;
  readonly scopes: readonly string[];
  readonly wallet_ids: readonly string[];
  readonly spend_policy: SpendPolicyValue | null;
  readonly expires_at: Date;
}

/** Records what the holder granted on the consent page, with its consent.granted event. */
export async function recordConsent(db: Queryable, consent: NewConsent, now: Date): Promise<ConsentView> {
  assert(consent.wallet_ids.length > 0 && consent.scopes.length > 0, 'a consent grants something');
  const inserted = await db.query<ConsentRow>(
    `INSERT INTO oauth_consents (id, livemode, client_id, holder_id, grant_id, scopes, wallet_ids,
       spend_policy, status, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10) RETURNING *`,
    [
      newId('consent', now.getTime()),
      consent.livemode,
      consent.client_id,
      consent.holder_id,
      consent.grant_id,
      consent.scopes,
      consent.wallet_ids,
      consent.spend_policy === null ? null : JSON.stringify(consent.spend_policy),
      consent.expires_at,
      now,
    ],
  );
  const view = consentView(inserted.rows[0] as ConsentRow);
  await recordEvents(db, [eventOf('consent.granted', view)], now);
  return view;
}

export async function getConsent(db: Queryable, livemode: boolean, id: string): Promise<Result<ConsentView>> {
  const found = await db.query<ConsentRow>('SELECT * FROM oauth_consents WHERE id = $1 AND livemode = $2', [
    id,
    livemode,
  ]);
  const row = found.rows[0];
  return row === undefined ? fail(notFound('consent', id)) : ok(consentView(row));
}

export interface ConsentFilters {
  readonly holder_id?: string | undefined;
  readonly client_id?: string | undefined;
  readonly status?: 'active' | 'revoked' | undefined;
}

export function listConsents(
  db: Queryable,
  livemode: boolean,
  filters: ConsentFilters,
  page: PageQuery,
): Promise<Result<Page<ConsentView>>> {
  const where = ['livemode = $1'];
  const params: unknown[] = [livemode];
  for (const column of ['holder_id', 'client_id', 'status'] as const) {
    const value = filters[column];
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  return fetchPage(db, { table: 'oauth_consents', where, params, id_prefix: 'cns', map: consentView }, page);
}

/**
 * Revokes the consent `id` of this mode: it is marked revoked and every code, token and grant of it
 * is deleted in the caller's transaction, so no request after the commit can use them.
 */
export async function revokeConsent(
  db: Queryable,
  livemode: boolean,
  id: string,
  revoked_by: string,
  now: Date,
): Promise<Result<ConsentView>> {
  const found = await db.query<ConsentRow>(
    'SELECT * FROM oauth_consents WHERE id = $1 AND livemode = $2 FOR UPDATE',
    [id, livemode],
  );
  const row = found.rows[0];
  if (row === undefined) return fail(notFound('consent', id));
  if (row.status !== 'active') return fail(domainError('invalid_state', `Consent ${id} is already revoked.`));
  return ok(await markRevoked(db, row, revoked_by, now));
}

/**
 * Revokes the consent behind an authorization server grant that is being destroyed: the app
 * revoked its refresh token (RFC 7009), or a code was used twice. Nothing when it is revoked already.
 */
export async function revokeConsentOfGrant(
  db: Queryable,
  grant_id: string,
  revoked_by: string,
  now: Date,
): Promise<void> {
  const found = await db.query<ConsentRow>(
    "SELECT * FROM oauth_consents WHERE grant_id = $1 AND status = 'active' FOR UPDATE",
    [grant_id],
  );
  const row = found.rows[0];
  if (row !== undefined) await markRevoked(db, row, revoked_by, now);
}

/** Revokes every active consent to an app (the app is being deleted). */
export async function revokeConsentsOfClient(
  db: Queryable,
  client_id: string,
  revoked_by: string,
  now: Date,
): Promise<void> {
  const found = await db.query<ConsentRow>(
    "SELECT * FROM oauth_consents WHERE client_id = $1 AND status = 'active' ORDER BY id FOR UPDATE",
    [client_id],
  );
  for (const row of found.rows) await markRevoked(db, row, revoked_by, now);
}

async function markRevoked(
  db: Queryable,
  row: ConsentRow,
  revoked_by: string,
  now: Date,
): Promise<ConsentView> {
  const updated = await db.query<ConsentRow>(
    `UPDATE oauth_consents SET status = 'revoked', revoked_at = $2, revoked_by = $3 WHERE id = $1 RETURNING *`,
    [row.id, now, revoked_by],
  );
  await db.query('DELETE FROM oauth_payloads WHERE grant_id = $1 OR (kind = $2 AND id = $1)', [
    row.grant_id,
    'Grant',
  ]);
  const view = consentView(updated.rows[0] as ConsentRow);
  await recordEvents(db, [eventOf('consent.revoked', view)], now);
  return view;
}
