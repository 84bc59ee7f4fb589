import { randomBytes } from 'node:crypto';
import { getAddress, isAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { parseAddress } from './address.js';

/** viem's answer: the checksummed address, or undefined where it refuses the text. */
function viemAddress(text: string): string | undefined {
  return isAddress(text) ? getAddress(text) : undefined;
}

describe('parseAddress', () => {
  it('agrees with viem on random addresses in every case, and on broken checksums', () => {
    for (let i = 0; i < 300; i += 1) {
      const lower = `0x${randomBytes(20).toString('hex')}`;
      const checksummed = getAddress(lower);
      // One letter's case flipped: a broken checksum (when the address has a letter at all).
      const flipped = checksummed.replace(/[a-fA-F]/, (c) =>
        c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase(),
      );
      for (const text of [lower, lower.toUpperCase().replace('0X', '0x'), checksummed, flipped])
        expect(parseAddress(text), text).toBe(viemAddress(text));
    }
  });

  it('refuses what is not 20 bytes of hex', () => {
    for (const text of ['', '0x', '0x12', `0x${'g'.repeat(40)}`, `${'a'.repeat(42)}`, `0x${'a'.repeat(41)}`])
      expect(parseAddress(text), text).toBeUndefined();
  });
});
