import type { AuthContext } from '../auth/context.js';
import { keyedHash, open, openJson, sealJson } from '../crypto/keyring.js';
import type { Client, Pool } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { runStoredRequest, type StoredRun } from '../guard/stored.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { authenticatorStep, isSentCode } from './codes.js';
import { type ChallengeRow, type ChallengeView, challengeView } from './service.js';

/**
 * Confirming a challenge takes two transactions. The first only spends one attempt, and commits
 * whatever the code turns out to be: a wrong code's refusal rolls back its request's transaction,
 * so an attempt counted there would never count. The conditional update cannot pass
 * `attempts_max` however many confirmations race. The second checks the code and, if right, runs
 * the kept request in the same transaction that marks the challenge succeeded.
 */

/** Only the key that made the request, or one without restrictions or a spend policy, confirms it. */
function confirmerKey(confirmer: AuthContext): string | null {
  return confirmer.restrictions === null && confirmer.spend_policy === null ? null : confirmer.key_id;
}

/**
 * Spends one attempt of a waiting challenge; true if this request got one. A challenge out of
 * attempts or past its expiry is marked failed or expired here, where the mark commits.
 */
export async function spendAttempt(
  pool: Pool,
  confirmer: AuthContext,
  id: string,
  now: Date,
): Promise<boolean> {
  const params = [id, confirmer.livemode, now, confirmerKey(confirmer)];
  const spent = await pool.query(
    `UPDATE challenges SET attempts = attempts + 1, updated_at = $3
     WHERE id = $1 AND livemode = $2 AND purpose = 'payment' AND status = 'requires_action'
       AND attempts < attempts_max AND expires_at > $3 AND ($4::text IS NULL OR api_key_id = $4)`,
    params,
  );
  if (spent.rowCount === 1) return true;
  await pool.query(
    `UPDATE challenges SET status = CASE WHEN expires_at <= $3 THEN 'expired' ELSE 'failed' END, updated_at = $3
     WHERE id = $1 AND livemode = $2 AND purpose = 'payment' AND status = 'requires_action'
       AND (attempts >= attempts_max OR expires_at <= $3) AND ($4::text IS NULL OR api_key_id = $4)`,
    params,
  );
  return false;
}

export interface Confirmation {
  readonly run: StoredRun;
  readonly confirmer: AuthContext;
  /** Whether spendAttempt gave this request an attempt. */
  readonly attempt_spent: boolean;
}

/** Checks the code and, if it is right, runs the kept request once, in this transaction. */
export async function confirmChallenge(
  confirmation: Confirmation,
  id: string,
  code: string,
): Promise<Result<ChallengeView>> {
  const db = confirmation.run.ctx.db;
  const now = confirmation.run.ctx.now;
  const row = await lockWaiting(db, confirmation, id);
  if (!row.ok) return row;
  const challenge = row.value;
  if (!(await codeMatches(db, challenge, code, now)))
    return fail(
      domainError(
        'challenge_code_invalid',
        `The code is wrong or was replaced by a newer one; ${challenge.attempts_max - challenge.attempts} attempts remain.`,
        'code',
      ),
    );
  const ran = await runStoredRequest(confirmation.run, {
    id: challenge.id,
    livemode: challenge.livemode,
    api_key_id: challenge.api_key_id ?? '',
    route: challenge.route ?? '',
    params: challenge.params ?? {},
    body: openJson('personal', challenge.body),
  });
  if (!ran.ok) return ran;
  const updated = await db.query<ChallengeRow>(
    `UPDATE challenges SET status = 'succeeded', confirmed_at = $2, updated_at = $2, result_status = $3, result_body = $4
     WHERE id = $1 RETURNING *`,
    [id, now, ran.value.status, JSON.stringify(sealJson('personal', ran.value.body))],
  );
  return ok(await challengeView(db, updated.rows[0] as ChallengeRow));
}

async function lockWaiting(
  db: Client,
  confirmation: Confirmation,
  id: string,
): Promise<Result<ChallengeRow>> {
  const { confirmer, run } = confirmation;
  const row = await rowById<ChallengeRow>(db, 'challenges', confirmer.livemode, id, { for_update: true });
  const mine = confirmerKey(confirmer);
  if (row === undefined || row.purpose !== 'payment' || (mine !== null && row.api_key_id !== mine))
    return fail(notFound('challenge', id));
  if (row.status === 'expired' || (row.status === 'requires_action' && row.expires_at <= run.ctx.now))
    return fail(
      domainError('challenge_expired', `Challenge ${id} expired at ${row.expires_at.toISOString()}.`),
    );
  if (row.status !== 'requires_action' && row.status !== 'failed')
    return fail(domainError('challenge_not_pending', `Challenge ${id} is ${row.status}.`));
  // Failed, or out of attempts by the time this request asked (others spent them first).
  if (row.status === 'failed' || !confirmation.attempt_spent)
    return fail(
      domainError('challenge_attempts_exceeded', `Challenge ${id} took its ${row.attempts_max} attempts.`),
    );
  return ok(row);
}

/** The latest code sent, or the authenticator app's code for now (used once: its step is kept). */
export async function codeMatches(
  db: Client,
  challenge: ChallengeRow,
  code: string,
  now: Date,
): Promise<boolean> {
  if (challenge.channel !== 'totp') return isSentCode(keyedHash, challenge.id, challenge.sends, code);
  const found = await db.query<{ secret_sealed: string; last_step: string | null }>(
    `SELECT secret_sealed, last_step FROM holder_authenticators
     WHERE holder_id = $1 AND status = 'active' FOR UPDATE`,
    [challenge.holder_id],
  );
  const authenticator = found.rows[0];
  if (authenticator === undefined) return false;
  const last_step = authenticator.last_step === null ? null : Number(authenticator.last_step);
  const step = authenticatorStep(open('personal', authenticator.secret_sealed), code, now, last_step);
  if (step === undefined) return false;
  await db.query('UPDATE holder_authenticators SET last_step = $2 WHERE holder_id = $1', [
    challenge.holder_id,
    step,
  ]);
  return true;
}
