import type { AuthContext } from '../auth/context.js';
import { keyedDigest } from '../crypto/keyring.js';
import type { Client, Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { sentCode } from './codes.js';
import {
  type ChallengeRow,
  type ChallengeView,
  challengeView,
  expiredError,
  mayActOn,
  ownKeyOnly,
} from './service.js';

/** A waiting payment challenge this key may act on, locked. */
async function lockOwn(db: Client, auth: AuthContext, id: string, now: Date): Promise<Result<ChallengeRow>> {
  const row = await rowById<ChallengeRow>(db, 'challenges', auth.livemode, id, { for_update: true });
  if (row === undefined || !mayActOn(auth, row)) return fail(notFound('challenge', id));
  if (row.status !== 'requires_action')
    return fail(domainError('challenge_not_pending', `Challenge ${id} is ${row.status}.`));
  if (row.expires_at <= now) return fail(expiredError(row));
  return ok(row);
}

/**
 * Sends a new code (email) in place of the last one, which stops counting. An authenticator app
 * needs no sending; the sandbox's new code is revealed by the test helper.
 */
export async function resendChallenge(
  db: Client,
  auth: AuthContext,
  id: string,
  sends_max: number,
  now: Date,
): Promise<Result<ChallengeView>> {
  const row = await lockOwn(db, auth, id, now);
  if (!row.ok) return row;
  if (row.value.channel === 'totp')
    return fail(
      domainError('invalid_state', `Challenge ${id} is answered from the holder's authenticator app.`),
    );
  if (row.value.sends >= sends_max)
    return fail(domainError('challenge_sends_exceeded', `Challenge ${id} has sent ${sends_max} codes.`));
  const updated = await db.query<ChallengeRow>(
    'UPDATE challenges SET sends = sends + 1, updated_at = $2 WHERE id = $1 RETURNING *',
    [id, now],
  );
  return ok(await challengeView(db, updated.rows[0] as ChallengeRow));
}

/** The request is dropped; nothing moves. */
export async function cancelChallenge(
  db: Client,
  auth: AuthContext,
  id: string,
  now: Date,
): Promise<Result<ChallengeView>> {
  const row = await lockOwn(db, auth, id, now);
  if (!row.ok) return row;
  const updated = await db.query<ChallengeRow>(
    "UPDATE challenges SET status = 'canceled', updated_at = $2 WHERE id = $1 RETURNING *",
    [id, now],
  );
  return ok(await challengeView(db, updated.rows[0] as ChallengeRow));
}

/** Test mode: the code the holder would have received (not for an authenticator app's). */
export async function revealCode(
  db: Queryable,
  auth: AuthContext,
  id: string,
): Promise<Result<{ object: 'challenge_code'; challenge: string; code: string }>> {
  if (auth.livemode)
    return fail(domainError('test_mode_only', 'Test helpers act on test-mode objects only.'));
  const row = await rowById<ChallengeRow>(db, 'challenges', false, id);
  // A sign-in code is the holder's alone: only an operator's key sees it in test mode.
  const visible =
    row?.purpose === 'sign_in' ? ownKeyOnly(auth) === undefined : row !== undefined && mayActOn(auth, row);
  if (row === undefined || !visible) return fail(notFound('challenge', id));
  if (row.channel === 'totp')
    return fail(
      domainError('invalid_state', `Challenge ${id} is answered from the holder's authenticator app.`),
    );
  return ok({ object: 'challenge_code', challenge: id, code: sentCode(keyedDigest, id, row.sends) });
}

/** The worker's task: waiting challenges past their expiry, or out of attempts, are closed. */
export async function closeDueChallenges(db: Client, now: Date, limit: number): Promise<number> {
  const closed = await db.query(
    `UPDATE challenges SET status = CASE WHEN attempts >= attempts_max THEN 'failed' ELSE 'expired' END, updated_at = $1
     WHERE id IN (SELECT id FROM challenges WHERE status = 'requires_action' AND expires_at <= $1
                  ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [now, limit],
  );
  return closed.rowCount ?? 0;
}
