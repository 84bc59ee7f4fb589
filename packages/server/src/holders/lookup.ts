import type { Queryable } from '../db/pool.js';

/**
 * The holder of this mode with this email, for signing in on a partner app's consent page. The one
 * place that searches holders by email: when emails are stored encrypted, this becomes a lookup by
 * their keyed hash. Emails compare case-insensitively; several holders sharing one email sign in
 * as none (the page cannot tell them apart).
 */
export async function findHolderIdByEmail(
  db: Queryable,
  livemode: boolean,
  email: string,
): Promise<string | undefined> {
  const found = await db.query<{ id: string }>(
    'SELECT id FROM holders WHERE livemode = $1 AND lower(email) = lower($2) LIMIT 2',
    [livemode, email.trim()],
  );
  return found.rows.length === 1 ? found.rows[0]?.id : undefined;
}
