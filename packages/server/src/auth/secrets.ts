import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const secret_pattern = /^sk_(test|live)_[0-9A-Za-z]{24,128}$/;

/** A new API key secret: `sk_test_` or `sk_live_` and 43 base62 characters (256 random bits). */
export function generateSecret(livemode: boolean): string {
  let value = BigInt(`0x${randomBytes(32).toString('hex')}`);
  let body = '';
  for (let i = 0; i < 43; i += 1) {
    body += base62[Number(value % 62n)];
    value /= 62n;
  }
  return `${livemode ? 'sk_live_' : 'sk_test_'}${body}`;
}

/** The mode a well-formed secret claims, or undefined when it is not a Purse secret at all. */
export function secretMode(secret: string): { livemode: boolean } | undefined {
  const match = secret_pattern.exec(secret);
  return match === null ? undefined : { livemode: match[1] === 'live' };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
