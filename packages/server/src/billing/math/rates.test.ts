import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePercent, percentOf, percentText } from './rates.js';

describe('percent rates', () => {
  it('parses API percentages into exact fractions of the whole', () => {
    expect(parsePercent('8.25')).toEqual({ numerator: 82_500n, denominator: 1_000_000n });
    expect(parsePercent('20')).toEqual({ numerator: 200_000n, denominator: 1_000_000n });
    expect(parsePercent('100')).toEqual({ numerator: 1_000_000n, denominator: 1_000_000n });
    expect(parsePercent('100.0000')).toEqual({ numerator: 1_000_000n, denominator: 1_000_000n });
    expect(parsePercent('0.0001')).toEqual({ numerator: 1n, denominator: 1_000_000n });
    expect(parsePercent('12.5')).toEqual({ numerator: 125_000n, denominator: 1_000_000n });
  });

  it('refuses malformed, zero, negative, above 100 and over-precise percentages', () => {
    const refused = [
      '',
      '0',
      '0.0',
      '0.0000',
      '-5',
      '+5',
      '100.0001',
      '101',
      '8.25001',
      '1e1',
      ' 8',
      '8 ',
      '8.',
      '.5',
    ];
    for (const text of [...refused, '08', '8,25', 'abc', '٣', 'Infinity', 'NaN'])
      expect(parsePercent(text)).toBeUndefined();
  });

  it('writes a percentage canonically, without trailing zeros', () => {
    expect(percentText({ numerator: 82_500n, denominator: 1_000_000n })).toBe('8.25');
    expect(percentText({ numerator: 200_000n, denominator: 1_000_000n })).toBe('20');
    expect(percentText({ numerator: 20n, denominator: 100n })).toBe('20');
    expect(percentText({ numerator: 1n, denominator: 8n })).toBe('12.5');
    expect(percentText({ numerator: 1n, denominator: 1n })).toBe('100');
    expect(percentText({ numerator: 1n, denominator: 1_000_000n })).toBe('0.0001');
    expect(percentText({ numerator: 100_010n, denominator: 1_000_000n })).toBe('10.001');
  });

  it('refuses to write a rate that needs more than 4 decimals or is out of range', () => {
    expect(() => percentText({ numerator: 1n, denominator: 3n })).toThrow(/more than 4 decimals/);
    expect(() => percentText({ numerator: 0n, denominator: 3n })).toThrow(/percent 0\/3/);
    expect(() => percentText({ numerator: 4n, denominator: 3n })).toThrow(/percent 4\/3/);
  });

  it('round-trips every rate from 0.0001 to 100, and its canonical text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1_000_000n }), (millionths) => {
        const text = percentText({ numerator: millionths, denominator: 1_000_000n });
        expect(text).toMatch(/^(0|[1-9][0-9]{0,2})(\.[0-9]{0,3}[1-9])?$/);
        expect(parsePercent(text)).toEqual({ numerator: millionths, denominator: 1_000_000n });
        // The reference: the decimal value as a JavaScript number, which is exact enough at 4 decimals.
        expect(Number(text)).toBeCloseTo(Number(millionths) / 10_000, 9);
      }),
    );
  });

  it('takes a percentage of an amount with the billing rounding, mirrored for credits', () => {
    const rate = { numerator: 82_500n, denominator: 1_000_000n };
    expect(percentOf(1000n, rate)).toBe(83n); // 82.5
    expect(percentOf(-1000n, rate)).toBe(-83n);
    expect(percentOf(999n, rate)).toBe(82n); // 82.4175
  });
});
