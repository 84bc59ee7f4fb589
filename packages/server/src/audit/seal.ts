import type { Queryable } from '../db/pool.js';

/** Entries a worker round links into the chain at most. */
export const audit_seal_batch_max = 5_000;

/**
 * Links committed, unsealed audit entries into the hash chain, oldest first (`audit_seal` in
 * migration 0010; one sealer at a time holds the chain head). Returns how many it sealed.
 */
export async function sealAudit(db: Queryable, limit = audit_seal_batch_max): Promise<number> {
  const result = await db.query<{ sealed: number }>('SELECT audit_seal($1) AS sealed', [limit]);
  return result.rows[0]?.sealed ?? 0;
}
