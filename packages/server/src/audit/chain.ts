import { createHash } from 'node:crypto';
import type { AuditEntry } from './append.js';

/** The fields of an entry its hash covers, as read with `canonical_columns`. */
export type CanonicalFields = Omit<AuditEntry, 'created_at'> & {
  readonly seq: string;
  readonly id: string;
  readonly created_at_text: string;
};

/** The hash the first entry points at. */
export const genesis_hash = Buffer.alloc(32);

/** What the sealer and the verifier select: the time as fixed UTC text with microseconds. */
export const canonical_columns = `id, livemode, actor, action, object_id, request_id, ip, outcome_status, outcome_code,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_text`;

/**
 * The canonical form an entry's hash covers: each field as its UTF-8 byte length, a colon and the
 * text, or `-` when NULL, in a fixed order. Chains sealed since migration 0007 use this form; a
 * change to it breaks every existing chain.
 */
export function canonicalEntry(entry: CanonicalFields): string {
  const fields = [
    entry.seq,
    entry.id,
    entry.livemode ? 'live' : 'test',
    entry.actor,
    entry.action,
    entry.object_id,
    entry.request_id,
    entry.ip,
    String(entry.outcome_status),
    entry.outcome_code,
    entry.created_at_text,
  ];
  return fields.map((field) => (field === null ? '-' : `${Buffer.byteLength(field)}:${field}`)).join('');
}

export function entryHash(prev_hash: Buffer, canonical: string): Buffer {
  return createHash('sha256').update(prev_hash).update(canonical, 'utf8').digest();
}
