import { randomInt, randomUUID } from 'node:crypto';
import { hashSecret, sameHash } from '../auth/secrets.js';
import { domainError } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';

/**
 * How a holder proves who they are on the consent page: a one-time code sent to them. The only
 * thing the consent page knows of sign-in, so that the code channel behind it is one file's wiring.
 */
export interface HolderSignIn {
  /** Sends a code to the holder; the challenge to check it against. */
  issue(holder: { id: string; livemode: boolean }): Promise<Result<{ challenge_id: string }>>;
  /** The holder the code proves: refused when wrong, expired, used, or after too many attempts. */
  check(challenge_id: string, code: string): Promise<Result<string>>;
}

interface Challenge {
  readonly holder_id: string;
  readonly code_hash: Buffer;
  readonly expires_at_ms: number;
  attempts: number;
}

const code_ttl_ms = 5 * 60_000;
const attempts_max = 5;
const challenges_max = 10_000;

/**
 * Test mode's sign-in, until the challenges module's code channels replace it: codes are kept in
 * this process and revealed to tests by `codeFor`. Live mode has no channel here, so it is refused.
 */
export class SandboxHolderSignIn implements HolderSignIn {
  private readonly challenges = new Map<string, Challenge>();
  private readonly last_codes = new Map<string, string>();

  async issue(holder: { id: string; livemode: boolean }): Promise<Result<{ challenge_id: string }>> {
    if (holder.livemode)
      return fail(domainError('invalid_state', 'No code channel is configured for live mode.'));
    if (this.challenges.size >= challenges_max) this.forgetExpired();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const challenge_id = randomUUID();
    this.challenges.set(challenge_id, {
      holder_id: holder.id,
      code_hash: hashSecret(code),
      expires_at_ms: Date.now() + code_ttl_ms,
      attempts: 0,
    });
    this.last_codes.set(holder.id, code);
    return ok({ challenge_id });
  }

  async check(challenge_id: string, code: string): Promise<Result<string>> {
    const challenge = this.challenges.get(challenge_id);
    const refused = fail(domainError('invalid_request', 'The code is wrong or has expired.', 'code'));
    if (challenge === undefined || challenge.expires_at_ms <= Date.now()) return refused;
    challenge.attempts += 1;
    if (challenge.attempts > attempts_max) {
      this.challenges.delete(challenge_id);
      return refused;
    }
    if (!sameHash(challenge.code_hash, hashSecret(code))) return refused;
    this.challenges.delete(challenge_id);
    return ok(challenge.holder_id);
  }

  /** The last code sent to a holder: what a test reads from the sandbox channel. */
  codeFor(holder_id: string): string | undefined {
    return this.last_codes.get(holder_id);
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [id, challenge] of this.challenges)
      if (challenge.expires_at_ms <= now) this.challenges.delete(id);
    if (this.challenges.size >= challenges_max) this.challenges.clear();
  }
}
