import { type ChallengeSettings, createSignInChallenge } from '../challenges/service.js';
import { checkSignInCode } from '../challenges/sign-in.js';
import type { Pool } from '../db/pool.js';
import type { Clock } from '../shared/clock.js';
import { ok, type Result } from '../shared/result.js';

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

export function challengeSignIn(deps: {
  pool: Pool;
  clock: Clock;
  settings: ChallengeSettings;
}): HolderSignIn {
  return {
    async issue(holder) {
      const created = await createSignInChallenge(deps.pool, {
        livemode: holder.livemode,
        holder_id: holder.id,
        settings: deps.settings,
        now: deps.clock.now(),
      });
      return created.ok ? ok({ challenge_id: created.value.id }) : created;
    },
    async check(input) {
      const checked = await checkSignInCode(deps.pool, { ...input, now: deps.clock.now() });
      return checked.ok ? ok(checked.value.holder_id) : checked;
    },
  };
}
