import { inTransaction, type Pool } from '../db/pool.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { codeMatches } from './confirm.js';
import type { ChallengeRow } from './service.js';

/**
 * Checks the code of a sign-in challenge (a holder proving who they are before granting an app
 * access: docs/oauth.md) in one transaction that commits either way: a wrong code spends an
 * attempt, the right one marks the challenge succeeded, so each code signs in once.
 */
export async function checkSignInCode(
  pool: Pool,
  input: { livemode: boolean; challenge_id: string; code: string; now: Date },
): Promise<Result<{ holder_id: string }>> {
  return inTransaction(pool, async (db) => {
    const found = await db.query<ChallengeRow>(
      `UPDATE challenges SET attempts = attempts + 1, updated_at = $3
       WHERE id = $1 AND livemode = $2 AND purpose = 'sign_in' AND status = 'requires_action'
         AND attempts < attempts_max AND expires_at > $3
       RETURNING *`,
      [input.challenge_id, input.livemode, input.now],
    );
    const challenge = found.rows[0];
    if (challenge === undefined) return fail(await whyNot(pool, input));
    if (!(await codeMatches(db, challenge, input.code, input.now)))
      return fail(
        domainError(
          'challenge_code_invalid',
          `The code is wrong; ${challenge.attempts_max - challenge.attempts} attempts remain.`,
          'code',
        ),
      );
    await db.query(
      "UPDATE challenges SET status = 'succeeded', confirmed_at = $2, updated_at = $2 WHERE id = $1",
      [challenge.id, input.now],
    );
    return ok({ holder_id: challenge.holder_id });
  });
}

async function whyNot(pool: Pool, input: { livemode: boolean; challenge_id: string; now: Date }) {
  const found = await pool.query<ChallengeRow>(
    "SELECT * FROM challenges WHERE id = $1 AND livemode = $2 AND purpose = 'sign_in'",
    [input.challenge_id, input.livemode],
  );
  const row = found.rows[0];
  if (row === undefined) return notFound('challenge', input.challenge_id);
  if (row.status !== 'requires_action')
    return domainError('challenge_not_pending', `Challenge ${row.id} is ${row.status}.`);
  if (row.expires_at <= input.now)
    return domainError(
      'challenge_expired',
      `Challenge ${row.id} expired at ${row.expires_at.toISOString()}.`,
    );
  return domainError(
    'challenge_attempts_exceeded',
    `Challenge ${row.id} took its ${row.attempts_max} attempts.`,
  );
}
