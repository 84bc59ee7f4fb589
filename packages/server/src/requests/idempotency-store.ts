import { keyedDigest, openNullable, sealCompressed } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import { prepared } from '../db/prepared.js';
import { type DomainError, domainError } from '../shared/errors.js';

/**
 * What identifies "the same request" for an idempotency key: method, path and the parsed body in a
 * canonical form (object keys sorted), so whitespace or key order in the JSON does not matter.
 * Keyed (HMAC): a body may hold a card or account number, which a plain hash would let anyone with
 * the table and the other fields of the request guess.
 */
export function requestFingerprint(method: string, path: string, body: unknown): Buffer {
  return keyedDigest('request_fingerprint', `${method} ${path}\n${canonicalJson(body ?? null)}`);
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

export interface KeyRef {
  readonly api_key_id: string;
  readonly key: string;
}

export interface StoredResponse {
  readonly fingerprint: Buffer;
  readonly status: number;
  readonly body: string;
}

export function keyId(ref: KeyRef): string {
  return `${ref.api_key_id} ${ref.key}`;
}

/**
 * Serialises requests that share an idempotency key, across processes: a transaction-level
 * advisory lock per key (a 64-bit hash of it; a collision only makes two unrelated keys wait for
 * each other). Taken first in the transaction and in sorted order, so two batches never deadlock;
 * the transaction's lock_timeout bounds the wait. Once it holds the locks, a request reads the
 * stored responses: a key already answered is replayed, a new one is executed and recorded before
 * the transaction commits and releases the lock.
 */
export async function lockKeys(db: Queryable, refs: readonly KeyRef[]): Promise<void> {
  if (refs.length === 0) return;
  await db.query(
    prepared(
      `SELECT pg_advisory_xact_lock(h) FROM (
         SELECT DISTINCT hashtextextended(k, 7270185003) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS locks`,
      [refs.map(keyId)],
    ),
  );
}

export async function storedResponses(
  db: Queryable,
  refs: readonly KeyRef[],
): Promise<Map<string, StoredResponse>> {
  if (refs.length === 0) return new Map();
  const result = await db.query<
    KeyRef & { fingerprint: Buffer; response_status: number; response_body: string }
  >(
    prepared(
      // LATERAL: one primary-key probe per key, whatever the plan cache thinks of the array's size.
      `SELECT i.api_key_id, i.key, i.fingerprint, i.response_status, i.response_body
       FROM unnest($1::text[], $2::text[]) AS k (api_key_id, key)
       CROSS JOIN LATERAL (
         SELECT * FROM idempotency_keys WHERE api_key_id = k.api_key_id AND key = k.key) AS i`,
      [refs.map((ref) => ref.api_key_id), refs.map((ref) => ref.key)],
    ),
  );
  return new Map(
    result.rows.map((row) => [
      keyId(row),
      {
        fingerprint: row.fingerprint,
        status: row.response_status,
        body: openNullable('personal', row.response_body) ?? '',
      },
    ]),
  );
}

export type Replay = { readonly status: number; readonly body: string } | { readonly error: DomainError };

/** What a request whose key was already answered gets: the stored response, or 422 for another request. */
export function replayOf(stored: StoredResponse, fingerprint: Buffer): Replay {
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

export interface RecordedResponse extends KeyRef {
  readonly fingerprint: Buffer;
  readonly status: number;
  readonly body: string;
}

/** Stores responses in the caller's transaction, with one statement for any number of keys. */
export async function recordResponses(db: Queryable, responses: readonly RecordedResponse[]): Promise<void> {
  if (responses.length === 0) return;
  await db.query(
    `INSERT INTO idempotency_keys (api_key_id, key, fingerprint, response_status, response_body)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::int[], $5::text[])`,
    [
      responses.map((r) => r.api_key_id),
      responses.map((r) => r.key),
      responses.map((r) => r.fingerprint),
      responses.map((r) => r.status),
      // Sealed: a response may show a holder's name and email. Compressed first: a batch's response
      // is about 55 kB of JSON, which deflates to about 8 kB (records before this were not, and open
      // as they are).
      responses.map((r) => sealCompressed('personal', r.body)),
    ],
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
