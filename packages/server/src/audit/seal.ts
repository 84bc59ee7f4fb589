import { inTransaction, type Pool } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { type CanonicalFields, canonical_columns, canonicalEntry, entryHash } from './chain.js';

/** Entries a worker round links into the chain at most. */
export const audit_seal_batch_max = 5_000;

/**
 * Links committed, unsealed audit entries into the hash chain, oldest first, and returns how many
 * it sealed. One sealer at a time: it holds the chain head's row lock, and reads the unsealed
 * entries only once it has it, so a second sealer sees the first one's work. The hashes are
 * computed here and written with one UPDATE (migration 0011 says why not in PL/pgSQL).
 */
export async function sealAudit(pool: Pool, limit = audit_seal_batch_max): Promise<number> {
  return inTransaction(pool, async (db) => {
    const head = await db.query<{ seq: string; hash: Buffer }>(
      'SELECT seq, hash FROM audit_chain_head FOR UPDATE',
    );
    const unsealed = await db.query<Omit<CanonicalFields, 'seq'>>(
      `SELECT ${canonical_columns} FROM audit_logs WHERE seq IS NULL ORDER BY created_at, id LIMIT $1`,
      [limit],
    );
    const start = head.rows[0];
    assert(start !== undefined, 'the chain head row exists');
    if (unsealed.rows.length === 0) return 0;
    let seq = BigInt(start.seq);
    let hash = start.hash;
    const links = unsealed.rows.map((entry) => {
      seq += 1n;
      const prev_hash = hash;
      hash = entryHash(prev_hash, canonicalEntry({ ...entry, seq: seq.toString() }));
      return { id: entry.id, seq: seq.toString(), prev_hash, hash };
    });
    const sealed = await db.query(
      `UPDATE audit_logs a SET seq = u.seq, prev_hash = u.prev_hash, hash = u.hash
       FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bytea[]) AS u (id, seq, prev_hash, hash)
       WHERE a.id = u.id AND a.seq IS NULL`,
      [
        links.map((l) => l.id),
        links.map((l) => l.seq),
        links.map((l) => l.prev_hash),
        links.map((l) => l.hash),
      ],
    );
    assert(sealed.rowCount === links.length, 'every entry read unsealed is sealed once');
    await db.query('UPDATE audit_chain_head SET seq = $1, hash = $2', [seq.toString(), hash]);
    return links.length;
  });
}
