import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.js';
import { type DomainError, domainError } from '../shared/errors.js';

/**
 * What identifies "the same request" for an idempotency key: method, path and the parsed body in a
 * canonical form (object keys sorted), so whitespace or key order in the JSON does not matter.
 */
export function requestFingerprint(method: string, path: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body ?? null)}`)
    .digest();
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface StoredResponse {
  readonly fingerprint: Buffer;
  readonly status: number;
  readonly body: string;
}

/**
 * Claims the key inside the caller's transaction. Returns true when this request owns it. When
 * another transaction holds an uncommitted claim, PostgreSQL makes this insert wait for it (up to
 * the transaction's lock_timeout); once that one commits, the insert finds the conflict and returns
 * false, and the stored response can be read.
 */
export async function claimKey(
  db: Queryable,
  api_key_id: string,
  key: string,
  fingerprint: Buffer,
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO idempotency_keys (api_key_id, key, fingerprint) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING 1`,
    [api_key_id, key, fingerprint],
  );
  return result.rowCount === 1;
}

export async function storedResponse(
  db: Queryable,
  api_key_id: string,
  key: string,
): Promise<StoredResponse | undefined> {
  const result = await db.query<{ fingerprint: Buffer; response_status: number; response_body: string }>(
    'SELECT fingerprint, response_status, response_body FROM idempotency_keys WHERE api_key_id = $1 AND key = $2',
    [api_key_id, key],
  );
  const row = result.rows[0];
  return row === undefined
    ? undefined
    : { fingerprint: row.fingerprint, status: row.response_status, body: row.response_body };
}

export type Replay = { readonly status: number; readonly body: string } | { readonly error: DomainError };

/** What a request whose key was already claimed gets: the stored response, or why not. */
export function replayOf(stored: StoredResponse | undefined, fingerprint: Buffer): Replay {
  // Gone only if purged between the claim and this read: the client's retry will claim it afresh.
  if (stored === undefined) return { error: inUse() };
  if (!stored.fingerprint.equals(fingerprint)) {
    const detail = 'This Idempotency-Key was used with a different request; use a new key for a new request.';
    return { error: domainError('idempotency_key_reused', detail, 'Idempotency-Key') };
  }
  return { status: stored.status, body: stored.body };
}

export function inUse(): DomainError {
  return domainError(
    'idempotency_key_in_use',
    'A request with this Idempotency-Key is still being processed; retry later.',
    'Idempotency-Key',
  );
}

/** Claims many keys at once, in the caller's transaction; returns the claimed ones as `api_key_id key`. */
export async function claimKeys(
  db: Queryable,
  claims: readonly { api_key_id: string; key: string; fingerprint: Buffer }[],
): Promise<Set<string>> {
  const result = await db.query<{ api_key_id: string; key: string }>(
    `INSERT INTO idempotency_keys (api_key_id, key, fingerprint)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) ON CONFLICT DO NOTHING RETURNING api_key_id, key`,
    [claims.map((c) => c.api_key_id), claims.map((c) => c.key), claims.map((c) => c.fingerprint)],
  );
  return new Set(result.rows.map((row) => `${row.api_key_id} ${row.key}`));
}

export async function storedResponses(
  db: Queryable,
  keys: readonly { api_key_id: string; key: string }[],
): Promise<Map<string, StoredResponse>> {
  const result = await db.query<{
    api_key_id: string;
    key: string;
    fingerprint: Buffer;
    response_status: number;
    response_body: string;
  }>(
    `SELECT i.* FROM idempotency_keys i JOIN unnest($1::text[], $2::text[]) AS k (api_key_id, key)
     ON i.api_key_id = k.api_key_id AND i.key = k.key`,
    [keys.map((k) => k.api_key_id), keys.map((k) => k.key)],
  );
  return new Map(
    result.rows.map((row) => [
      `${row.api_key_id} ${row.key}`,
      { fingerprint: row.fingerprint, status: row.response_status, body: row.response_body },
    ]),
  );
}

export async function recordResponses(
  db: Queryable,
  responses: readonly { api_key_id: string; key: string; status: number; body: string }[],
): Promise<void> {
  if (responses.length === 0) return;
  await db.query(
    `UPDATE idempotency_keys i SET response_status = r.status, response_body = r.body
     FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) AS r (api_key_id, key, status, body)
     WHERE i.api_key_id = r.api_key_id AND i.key = r.key`,
    [
      responses.map((r) => r.api_key_id),
      responses.map((r) => r.key),
      responses.map((r) => r.status),
      responses.map((r) => r.body),
    ],
  );
}

export async function recordResponse(
  db: Queryable,
  api_key_id: string,
  key: string,
  status: number,
  body: string,
): Promise<void> {
  await db.query(
    'UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE api_key_id = $1 AND key = $2',
    [api_key_id, key, status, body],
  );
}

/** Deletes records past their retention; returns how many went. */
export async function purgeExpiredKeys(db: Queryable, retention_s: number, now: Date): Promise<number> {
  const result = await db.query(
    `DELETE FROM idempotency_keys WHERE created_at < $1::timestamptz - make_interval(secs => $2)`,
    [now, retention_s],
  );
  return result.rowCount ?? 0;
}
