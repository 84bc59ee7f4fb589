import type { Queryable } from './pool.js';

/**
 * The session's `synchronous_commit` when it lets PostgreSQL acknowledge a commit that a crash or a
 * failover can still lose: `off` (before the primary's own flush) or `local` (before the
 * synchronous standby has it). Purse never sets it; a role or database setting can. Undefined: safe.
 */
export async function weakCommitLevel(db: Queryable): Promise<'off' | 'local' | undefined> {
  const result = await db.query<{ level: string }>("SELECT current_setting('synchronous_commit') AS level");
  const level = result.rows[0]?.level;
  return level === 'off' || level === 'local' ? level : undefined;
}
