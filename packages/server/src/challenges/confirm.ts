import type { AuthContext } from '../auth/context.js';
import { keyedDigest, open, openJson, sealJson } from '../crypto/keyring.js';
import type { Client } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { runStoredRequest, type StoredRun } from '../guard/stored.js';
import { lockRiskReads } from '../risk/locks.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { authenticatorStep, isSentCode } from './codes.js';
import { type ChallengeRow, type ChallengeView, challengeView, expiredError, mayActOn } from './service.js';

/**
 * Confirming a challenge is one transaction that commits whatever the code turns out to be
 * (runMutation's `commit_refusals`): the challenge row is locked first, so confirmations of one
 * challenge take turns; each spends an attempt before its code is looked at, and a wrong code's
 * refusal keeps that spending. The right code runs the kept request in the same transaction that
 * marks the challenge succeeded. An idempotent replay is answered before any of this, and spends
 * nothing.
 */

export interface Confirmation {
  readonly run: StoredRun;
  readonly confirmer: AuthContext;
  /** Wrong codes one holder may send in 24 hours, over all their challenges. */
  readonly holder_wrong_codes_max: number;
}

/** Checks the code and, if it is right, runs the kept request once, in this transaction. */
export async function confirmChallenge(
  confirmation: Confirmation,
  id: string,
  code: string,
): Promise<Result<ChallengeView>> {
  const db = confirmation.run.ctx.db;
  const now = confirmation.run.ctx.now;
  const row = await rowById<ChallengeRow>(db, 'challenges', confirmation.confirmer.livemode, id, {
    for_update: true,
  });
  if (row === undefined || !mayActOn(confirmation.confirmer, row)) return fail(notFound('challenge', id));
  const tried = await tryCode(db, row, code, now, confirmation.holder_wrong_codes_max);
  if (!tried.ok) return tried;
  const ran = await runStoredRequest(
    { ...confirmation.run, passed: { approved: row.approved, challenge_confirmed_by: row.holder_id } },
    {
      id: row.id,
      livemode: row.livemode,
      api_key_id: row.api_key_id ?? '',
      route: row.route ?? '',
      params: row.params ?? {},
      body: openJson('personal', row.body),
    },
  );
  if (!ran.ok) return ran;
  const updated = await db.query<ChallengeRow>(
    `UPDATE challenges SET status = 'succeeded', confirmed_at = $2, updated_at = $2, result_status = $3, result_body = $4
     WHERE id = $1 RETURNING *`,
    [id, now, ran.value.status, JSON.stringify(sealJson('personal', ran.value.body))],
  );
  return ok(await challengeView(db, updated.rows[0] as ChallengeRow));
}

/**
 * Spends one attempt of a challenge (locked by the caller) and checks `code`: the latest code sent,
 * or the holder's authenticator code for now. Refuses a challenge that is not waiting, past its
 * expiry (marked expired), or out of attempts (marked failed), and a holder who sent
 * `holder_wrong_codes_max` wrong codes in 24 hours over all their challenges, so that opening new
 * challenges does not buy new guesses. The caller commits whatever this returns.
 */
export async function tryCode(
  db: Client,
  challenge: ChallengeRow,
  code: string,
  now: Date,
  holder_wrong_codes_max: number,
): Promise<Result<void>> {
  const closed = await closedReason(db, challenge, now);
  if (closed !== undefined) return fail(closed);
  // One holder's guesses are counted under the holder's lock (the one a tier's caps take).
  await lockRiskReads(db, [challenge.holder_id]);
  if ((await wrongCodesToday(db, challenge, now)) >= holder_wrong_codes_max)
    return fail(
      domainError(
        'challenge_attempts_exceeded',
        `Holder ${challenge.holder_id} sent ${holder_wrong_codes_max} wrong codes in the last 24 hours; try again later.`,
      ),
    );
  const spent = await db.query<{ attempts: number }>(
    'UPDATE challenges SET attempts = attempts + 1, updated_at = $2 WHERE id = $1 RETURNING attempts',
    [challenge.id, now],
  );
  const attempts = spent.rows[0]?.attempts ?? challenge.attempts_max;
  if (await codeMatches(db, challenge, code, now)) return ok(undefined);
  if (attempts >= challenge.attempts_max)
    await db.query("UPDATE challenges SET status = 'failed' WHERE id = $1", [challenge.id]);
  return fail(
    domainError(
      'challenge_code_invalid',
      `The code is wrong or was replaced by a newer one; ${challenge.attempts_max - attempts} attempts remain.`,
      'code',
    ),
  );
}

async function closedReason(
  db: Client,
  challenge: ChallengeRow,
  now: Date,
): Promise<DomainError | undefined> {
  const id = challenge.id;
  if (challenge.status === 'requires_action' && challenge.expires_at <= now) {
    await db.query("UPDATE challenges SET status = 'expired', updated_at = $2 WHERE id = $1", [id, now]);
    return expiredError(challenge);
  }
  if (challenge.status === 'expired') return expiredError(challenge);
  if (challenge.status === 'failed' || challenge.attempts >= challenge.attempts_max)
    return domainError(
      'challenge_attempts_exceeded',
      `Challenge ${id} took its ${challenge.attempts_max} attempts.`,
    );
  if (challenge.status !== 'requires_action')
    return domainError('challenge_not_pending', `Challenge ${id} is ${challenge.status}.`);
  return undefined;
}

/**
 * Attempts on the holder's challenges of this purpose in the last 24 hours that were not the right
 * code. Sign-in codes are guessed on public pages by anyone who knows an email; counted apart, they
 * can lock a holder out of signing in to apps, never out of confirming payments.
 */
async function wrongCodesToday(db: Client, challenge: ChallengeRow, now: Date): Promise<number> {
  const found = await db.query<{ wrong: number }>(
    `SELECT coalesce(sum(attempts) - count(*) FILTER (WHERE status = 'succeeded'), 0)::int AS wrong
     FROM challenges WHERE holder_id = $1 AND purpose = $2 AND updated_at > $3`,
    [challenge.holder_id, challenge.purpose, new Date(now.getTime() - 86_400_000)],
  );
  return found.rows[0]?.wrong ?? 0;
}

/**
 * The latest code sent, or the authenticator app's code for now (used once: its step is kept).
 * The app must have been active before the challenge was made: one enrolled since cannot answer it
 * (a key that may manage holders could otherwise enroll its own and confirm).
 */
async function codeMatches(db: Client, challenge: ChallengeRow, code: string, now: Date): Promise<boolean> {
  if (challenge.channel !== 'totp') return isSentCode(keyedDigest, challenge.id, challenge.sends, code);
  const found = await db.query<{ secret_sealed: string; last_step: string | null }>(
    `SELECT secret_sealed, last_step FROM holder_authenticators
     WHERE holder_id = $1 AND status = 'active' AND activated_at <= $2 FOR UPDATE`,
    [challenge.holder_id, challenge.created_at],
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
