import { keyedHash } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';

/**
 * The holder of this mode with this email, for signing in on a partner app's consent page. Emails
 * are stored sealed; equality goes through their keyed hash, on the exact text, as
 * `GET /v1/holders?email=` compares. Several holders sharing one email sign in as none (the page
 * cannot tell them apart).
 */
export async function findHolderIdByEmail(
  db: Queryable,
  livemode: boolean,
  email: string,
): Promise<string | undefined> {
  const found = await db.query<{ id: string }>(
    'SELECT id FROM holders WHERE livemode = $1 AND email_hash = $2 LIMIT 2',
    [livemode, keyedHash('holder_email', email.trim())],
  );
  return found.rows.length === 1 ? found.rows[0]?.id : undefined;
}
