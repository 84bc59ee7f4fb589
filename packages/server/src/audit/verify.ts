import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.js';
import type { Violation } from '../ledger/verify.js';

interface StoredEntry {
  seq: string;
  id: string;
  livemode: boolean;
  actor: string;
  action: string;
  object_id: string | null;
  request_id: string | null;
  ip: string | null;
  outcome_status: number;
  outcome_code: string | null;
  created_at_text: string;
  prev_hash: Buffer;
  hash: Buffer;
}

const page_size = 5_000;
const genesis_hash = Buffer.alloc(32);

/**
 * The canonical form an entry's hash covers, rebuilt here independently of the SQL that wrote it
 * (`audit_canonical` in migration 0007): each field as its UTF-8 byte length, a colon and the
 * text, or `-` when NULL, in a fixed order.
 */
export function canonicalEntry(entry: Omit<StoredEntry, 'prev_hash' | 'hash'>): string {
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

/**
 * Walks the audit chain in order and returns its first broken link, if any: a gap in the numbering
 * (a deleted entry), an entry that does not point at the hash before it, one whose content no
 * longer matches its hash (an edited entry), or a head that disagrees with the last entry (the
 * newest entries deleted).
 */
export async function verifyAuditChain(db: Queryable): Promise<Violation[]> {
  let expected_seq = 1n;
  let previous: Buffer = genesis_hash;
  let last_id = '(none)';
  for (;;) {
    const page = await db.query<StoredEntry>(
      `SELECT seq, id, livemode, actor, action, object_id, request_id, ip, outcome_status, outcome_code,
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_text, prev_hash, hash
       FROM audit_logs WHERE seq >= $1 AND seq IS NOT NULL ORDER BY seq LIMIT $2`,
      [expected_seq.toString(), page_size],
    );
    for (const entry of page.rows) {
      const broken = brokenLink(entry, expected_seq, previous);
      if (broken !== undefined) return [broken];
      previous = entry.hash;
      last_id = entry.id;
      expected_seq += 1n;
    }
    if (page.rows.length < page_size) break;
  }
  const head = await checkHead(db, expected_seq - 1n, previous, last_id);
  return head.length > 0 ? head : unsealedTooLong(db);
}

/** Entries are sealed within a second by the worker; one left unsealed this long means it is not running. */
const unsealed_s_max = 300;

async function unsealedTooLong(db: Queryable): Promise<Violation[]> {
  const stale = await db.query<{ id: string }>(
    `SELECT id FROM audit_logs WHERE seq IS NULL AND created_at < now() - make_interval(secs => $1)
     ORDER BY created_at, id LIMIT 1`,
    [unsealed_s_max],
  );
  const entry = stale.rows[0];
  if (entry === undefined) return [];
  return [
    {
      check: 'audit_chain',
      subject: entry.id,
      detail: `entry ${entry.id} is not sealed into the chain after ${unsealed_s_max} s: is a worker running?`,
    },
  ];
}

function brokenLink(entry: StoredEntry, expected_seq: bigint, previous: Buffer): Violation | undefined {
  const link = (detail: string): Violation => ({ check: 'audit_chain', subject: entry.id, detail });
  if (BigInt(entry.seq) !== expected_seq)
    return link(`entry ${entry.seq} follows entry ${expected_seq - 1n}: entries are missing before it`);
  if (!entry.prev_hash.equals(previous))
    return link(`entry ${entry.seq} does not point at the hash of the entry before it`);
  if (!entryHash(previous, canonicalEntry(entry)).equals(entry.hash))
    return link(`entry ${entry.seq} does not match its hash: it was changed after it was written`);
  return undefined;
}

async function checkHead(db: Queryable, last_seq: bigint, last_hash: Buffer, last_id: string) {
  const head = await db.query<{ seq: string; hash: Buffer }>('SELECT seq, hash FROM audit_chain_head');
  const row = head.rows[0];
  if (row !== undefined && BigInt(row.seq) === last_seq && row.hash.equals(last_hash)) return [];
  return [
    {
      check: 'audit_chain' as const,
      subject: last_id,
      detail: `the chain head says ${row?.seq ?? 'nothing'} entries, the log ends at entry ${last_seq}: entries after it were removed`,
    },
  ];
}
