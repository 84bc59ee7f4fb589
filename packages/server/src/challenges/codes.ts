import { HOTP, Secret, TOTP } from 'otpauth';
import { assert } from '../shared/assert.js';

/**
 * The codes that confirm a challenge. None is ever stored: the n-th code a challenge sends is
 * HOTP (RFC 4226) at counter n under a secret derived from the challenge's id with a keyed hash,
 * so the sender and the checker compute it alike, a database dump reveals nothing to guess
 * against, and a resend (n + 1) leaves the previous code worthless. Authenticator apps use TOTP
 * (RFC 6238) with the holder's enrolled secret. otpauth compares in constant time.
 */

export const code_digits = 6;
/** SHA-1 is what authenticator apps implement (RFC 6238's default); it is fine inside HMAC. */
const totp_algorithm = 'SHA1';
export const totp_period_s = 30;

/** A keyed digest under the server's lookup key: (purpose, value) → 32 bytes (crypto/keyring.ts). */
export type KeyedDigest = (purpose: string, value: string) => Buffer;

/** The challenge's own 256-bit HOTP secret; a digest of any other length is a bug, not a secret. */
function challengeSecret(keyed_digest: KeyedDigest, challenge_id: string): Secret {
  const digest = keyed_digest('challenge_code', challenge_id);
  assert(digest.length === 32, 'a challenge secret is a 32-byte digest');
  return new Secret({ buffer: new Uint8Array(digest).buffer });
}

/** The code a challenge sent as its `send`-th (1 for the first). */
export function sentCode(keyed_digest: KeyedDigest, challenge_id: string, send: number): string {
  return HOTP.generate({
    secret: challengeSecret(keyed_digest, challenge_id),
    algorithm: 'SHA256',
    digits: code_digits,
    counter: send,
  });
}

/** Whether `code` is the latest code the challenge sent; earlier ones no longer count. */
export function isSentCode(
  keyed_digest: KeyedDigest,
  challenge_id: string,
  send: number,
  code: string,
): boolean {
  const delta = HOTP.validate({
    token: code,
    secret: challengeSecret(keyed_digest, challenge_id),
    algorithm: 'SHA256',
    digits: code_digits,
    counter: send,
    window: 0,
  });
  return delta === 0;
}

/** A new authenticator secret (160 bits, as RFC 4226 recommends) and the URI apps scan. */
export function newAuthenticator(label: string): { secret_base32: string; uri: string } {
  const totp = new TOTP({
    issuer: 'Purse',
    label,
    secret: new Secret({ size: 20 }),
    algorithm: totp_algorithm,
    digits: code_digits,
    period: totp_period_s,
  });
  return { secret_base32: totp.secret.base32, uri: totp.toString() };
}

/**
 * The time step an authenticator code belongs to, if it is valid within one step of `now` (clocks
 * drift) and later than `last_step`, the last one accepted: a code is used once, even in its window.
 */
export function authenticatorStep(
  secret_base32: string,
  code: string,
  now: Date,
  last_step: number | null,
): number | undefined {
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secret_base32),
    algorithm: totp_algorithm,
    digits: code_digits,
    period: totp_period_s,
    timestamp: now.getTime(),
    window: 1,
  });
  if (delta === null) return undefined;
  const step = Math.floor(now.getTime() / 1000 / totp_period_s) + delta;
  return last_step !== null && step <= last_step ? undefined : step;
}

/** The authenticator code for `now`: what the holder's app shows (tests and the sandbox). */
export function authenticatorCode(secret_base32: string, now: Date): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret_base32),
    algorithm: totp_algorithm,
    digits: code_digits,
    period: totp_period_s,
    timestamp: now.getTime(),
  });
}
