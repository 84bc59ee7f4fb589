import { type ChallengeSettings, createSignInChallenge } from '../challenges/service.js';
import { checkSignInCode } from '../challenges/sign-in.js';
import type { Pool } from '../db/pool.js';
import type { Clock } from '../shared/clock.js';
import { domainError } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';

/**
 * How a holder proves who they are on the consent page: a one-time code sent to them. The only
 * thing the consent page knows of sign-in; the codes are the challenges module's (docs/challenges.md):
 * the holder's authenticator app, email, or in test mode the sandbox channel, each code expiring,
 * used once, compared in constant time and attempt-limited.
 */
export interface HolderSignIn {
  /** Sends a code to the holder; the challenge to check it against. */
  issue(holder: { id: string; livemode: boolean }): Promise<Result<{ challenge_id: string }>>;
  /** The holder the code proves: refused when wrong, expired, used, or after too many attempts. */
  check(input: { livemode: boolean; challenge_id: string; code: string }): Promise<Result<string>>;
}

/**
 * Sign-in codes one holder may be sent per window, not counting those the holder used: this bounds
 * the emails anyone can make a holder receive by typing their address (the guesses against a
 * holder are bounded by the challenges' attempts and their daily cap of wrong codes). Past it the
 * page looks the same and no code is sent.
 */
const sign_in_codes_per_window_max = 5;
const sign_in_window_ms = 10 * 60_000;

export function challengeSignIn(deps: {
  pool: Pool;
  clock: Clock;
  settings: ChallengeSettings;
  /** A holder's wrong codes per 24 hours over all their challenges (PURSE_CHALLENGE_HOLDER_WRONG_CODES_MAX). */
  holder_wrong_codes_max: number;
}): HolderSignIn {
  return {
    async issue(holder) {
      const now = deps.clock.now();
      const recent = await deps.pool.query<{ count: string }>(
        `SELECT count(*) FROM challenges
         WHERE holder_id = $1 AND purpose = 'sign_in' AND status <> 'succeeded' AND created_at > $2`,
        [holder.id, new Date(now.getTime() - sign_in_window_ms)],
      );
      if (Number(recent.rows[0]?.count ?? 0) >= sign_in_codes_per_window_max)
        return fail(domainError('rate_limited', 'Too many sign-in codes for this holder; try again later.'));
      const created = await createSignInChallenge(deps.pool, {
        livemode: holder.livemode,
        holder_id: holder.id,
        settings: deps.settings,
        now,
      });
      return created.ok ? ok({ challenge_id: created.value.id }) : created;
    },
    async check(input) {
      const checked = await checkSignInCode(deps.pool, {
        ...input,
        now: deps.clock.now(),
        holder_wrong_codes_max: deps.holder_wrong_codes_max,
      });
      return checked.ok ? ok(checked.value.holder_id) : checked;
    },
  };
}
