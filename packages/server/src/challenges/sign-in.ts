import { inTransaction, type Pool } from '../db/pool.js';
import { notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { tryCode } from './confirm.js';
import type { ChallengeRow } from './service.js';

/**
 * Checks the code of a sign-in challenge (a holder proving who they are before granting an app
 * access: docs/oauth.md) in one transaction that commits either way: a wrong code spends an
 * attempt (and counts against the holder's wrong codes of the day), the right one marks the
 * challenge succeeded, so each code signs in once.
 */
export async function checkSignInCode(
  pool: Pool,
  input: { livemode: boolean; challenge_id: string; code: string; now: Date; holder_wrong_codes_max: number },
): Promise<Result<{ holder_id: string }>> {
  return inTransaction(pool, async (db) => {
    const found = await db.query<ChallengeRow>(
      "SELECT * FROM challenges WHERE id = $1 AND livemode = $2 AND purpose = 'sign_in' FOR UPDATE",
      [input.challenge_id, input.livemode],
    );
    const challenge = found.rows[0];
    if (challenge === undefined) return fail(notFound('challenge', input.challenge_id));
    const tried = await tryCode(db, challenge, input.code, input.now, input.holder_wrong_codes_max);
    if (!tried.ok) return tried;
    await db.query(
      "UPDATE challenges SET status = 'succeeded', confirmed_at = $2, updated_at = $2 WHERE id = $1",
      [challenge.id, input.now],
    );
    return ok({ holder_id: challenge.holder_id });
  });
}
