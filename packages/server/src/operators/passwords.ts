import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Operator passwords are hashed with scrypt (RFC 7914), Node's built-in memory-hard function:
 * 2^15 × 8 × 128 bytes = 32 MiB and about 60 ms per hash on the 2-core machine, so a stolen table
 * costs an attacker the same per guess. The parameters travel with the hash, so they can be raised
 * later without invalidating stored passwords.
 */
const cost = { N: 2 ** 15, r: 8, p: 1 } as const;
const key_bytes = 32;
const salt_bytes = 16;
/** Node refuses scrypt above 32 MiB by default; this cost needs a little more than that. */
const maxmem_bytes = 64 * 1024 * 1024;

export const password_length_min = 12;
export const password_length_max = 256;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, key_bytes, { ...options, maxmem: maxmem_bytes }, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(salt_bytes);
  const key = await derive(password, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` is the one `stored` was made from; constant-time on the derived key. */
export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let decoy: Promise<string> | undefined;

/** A hash of no password, checked when the email is unknown so that both answers take as long. */
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString('base64'));
  return decoy;
}

/** A password to hand out once (CLI, operator creation): 24 base64url characters, 144 bits. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
