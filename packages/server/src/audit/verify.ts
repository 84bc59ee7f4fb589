import type { Queryable } from '../db/pool.js';
import type { Violation } from '../ledger/verify.js';
import { type CanonicalFields, canonical_columns, canonicalEntry, entryHash, genesis_hash } from './chain.js';

interface StoredEntry extends CanonicalFields {
  prev_hash: Buffer;
  hash: Buffer;
}

const page_size = 5_000;

/** A point of the chain: the last entry verified (0 and the genesis hash: before the first). */
export interface ChainPoint {
  readonly seq: bigint;
  readonly hash: Buffer;
}

export const chain_start: ChainPoint = { seq: 0n, hash: genesis_hash };

/**
 * Walks the audit chain in order and returns its first broken link, if any: a gap in the numbering
 * (a deleted entry), an entry that does not point at the hash before it, one whose content no
 * longer matches its hash (an edited entry), or a head that disagrees with the last entry (the
 * newest entries deleted).
 */
export async function verifyAuditChain(db: Queryable): Promise<Violation[]> {
  return (await walkAuditChain(db, chain_start)).violations;
}

/**
 * `verifyAuditChain` from a point already verified (a ledger checkpoint's): only the entries after
 * it are read. Returns the violations and the last entry it reached.
 */
export async function walkAuditChain(
  db: Queryable,
  from: ChainPoint,
): Promise<{ violations: Violation[]; reached: ChainPoint }> {
  let expected_seq = from.seq + 1n;
  let previous: Buffer = from.hash;
  let last_id = '(none)';
  for (;;) {
    const page = await db.query<StoredEntry>(
      `SELECT seq, ${canonical_columns}, prev_hash, hash
       FROM audit_logs WHERE seq >= $1 AND seq IS NOT NULL ORDER BY seq LIMIT $2`,
      [expected_seq.toString(), page_size],
    );
    for (const entry of page.rows) {
      const broken = brokenLink(entry, expected_seq, previous);
      if (broken !== undefined) return { violations: [broken], reached: from };
      previous = entry.hash;
      last_id = entry.id;
      expected_seq += 1n;
    }
    if (page.rows.length < page_size) break;
  }
  const reached = { seq: expected_seq - 1n, hash: previous };
  const head = await checkHead(db, reached.seq, previous, last_id);
  return { violations: head.length > 0 ? head : await unsealedTooLong(db), reached };
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
