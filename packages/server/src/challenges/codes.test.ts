import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authenticatorCode, authenticatorStep, isSentCode, newAuthenticator, sentCode } from './codes.js';

const digest = (purpose: string, value: string) =>
  createHash('sha256').update(`${purpose}:${value}`).digest();

describe('challenge codes', () => {
  it('differ from one challenge to the next and from one send to the next', () => {
    const codes = new Set(Array.from({ length: 200 }, (_, index) => sentCode(digest, `chl_${index}`, 1)));
    // Six random digits: 200 codes collide rarely, a constant code always.
    expect(codes.size).toBeGreaterThan(190);
    expect(sentCode(digest, 'chl_a', 1)).not.toBe(sentCode(digest, 'chl_a', 2));
    expect(isSentCode(digest, 'chl_a', 2, sentCode(digest, 'chl_a', 2))).toBe(true);
    expect(isSentCode(digest, 'chl_a', 2, sentCode(digest, 'chl_a', 1))).toBe(false);
  });

  it('refuse a secret that is not a whole digest rather than derive a weak one', () => {
    expect(() => sentCode(() => Buffer.alloc(0), 'chl_a', 1)).toThrow();
  });

  it("take an authenticator's code within a step of drift, once", () => {
    const { secret_base32, uri } = newAuthenticator('hol_1');
    expect(uri).toContain('otpauth://totp/');
    const now = new Date('2026-12-02T10:00:00Z');
    const code = authenticatorCode(secret_base32, now);
    const step = authenticatorStep(secret_base32, code, new Date(now.getTime() + 30_000), null);
    expect(step).toBe(Math.floor(now.getTime() / 30_000));
    expect(authenticatorStep(secret_base32, code, now, step ?? null)).toBeUndefined();
    expect(authenticatorStep(secret_base32, code, new Date(now.getTime() + 90_000), null)).toBeUndefined();
  });
});
