import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amount_minor_max } from '../shared/money.js';
import { type Decimal, parseRate, targetFor } from './decimal.js';
import { price } from './pricing.js';

const rate = (text: string): Decimal => {
  const parsed = parseRate(text);
  if (parsed === undefined) throw new Error(`bad rate ${text}`);
  return parsed;
};

const rates = fc
  .tuple(fc.bigInt({ min: 1n, max: 10n ** 15n - 1n }), fc.integer({ min: 0, max: 15 }))
  .filter(([digits, exp]) => digits.toString().length - exp <= 12)
  .map(([digits, exp]) => ({ digits, exp }));
const scales = fc.constantFrom(0, 2, 3, 6, 8, 18);

describe('the rounding rule', () => {
  it('never gives the customer more than the rate, never takes a negative spread, and a fixed target buys at least it', () => {
    fc.assert(
      fc.property(
        rates,
        fc.integer({ min: 0, max: 5_000 }),
        scales,
        scales,
        fc.bigInt({ min: 1n, max: amount_minor_max }),
        fc.constantFrom<'source' | 'target'>('source', 'target'),
        (mid, spread_bps, source_scale, target_scale, amount_minor, side) => {
          const priced = price({
            mid,
            spread_bps,
            source_scale,
            target_scale,
            fixed: { side, amount_minor },
          });
          if (!priced.ok) return;
          const { source_minor, target_minor, spread_minor } = priced.value;
          expect(spread_minor >= 0n).toBe(true);
          expect(target_minor <= targetFor(source_minor, priced.value.rate, source_scale, target_scale)).toBe(
            true,
          );
          expect(target_minor + spread_minor).toBe(targetFor(source_minor, mid, source_scale, target_scale));
          for (const value of [source_minor, target_minor, spread_minor])
            expect(value <= amount_minor_max).toBe(true);
          if (side === 'target') {
            expect(target_minor).toBe(amount_minor);
            // One minor unit less of the source would not have bought the target.
            if (source_minor > 1n)
              expect(
                targetFor(source_minor - 1n, priced.value.rate, source_scale, target_scale) < target_minor,
              ).toBe(true);
          }
        },
      ),
      { numRuns: 2_000, seed: 20261202 },
    );
  });

  it('refuses a spread larger than one movement may move, at the largest amount and spread', () => {
    const priced = price({
      mid: rate('2.00000000000001'),
      spread_bps: 5_000,
      source_scale: 0,
      target_scale: 0,
      fixed: { side: 'source', amount_minor: amount_minor_max },
    });
    expect(priced.ok ? 'priced' : priced.error.code).toBe('invalid_amount');
  });

  it('refuses an amount that buys less than the smallest unit', () => {
    const priced = price({
      mid: rate('0.0061'),
      spread_bps: 0,
      source_scale: 0,
      target_scale: 2,
      fixed: { side: 'source', amount_minor: 1n },
    });
    expect(priced.ok ? 'priced' : priced.error.code).toBe('amount_too_small');
  });
});
