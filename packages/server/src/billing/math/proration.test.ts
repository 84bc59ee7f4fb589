import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prorate, roundDiv } from './proration.js';

/** floor(n / d) for d > 0; bigint division truncates toward zero instead. */
function floorDiv(n: bigint, d: bigint): bigint {
  const quotient = n / d;
  return n % d !== 0n && n < 0n ? quotient - 1n : quotient;
}

/**
 * The reference: of the two integers around n / d, the nearer one; on a tie, the one farther from
 * zero. Exact rational comparison, no sign tricks.
 */
function nearest(n: bigint, d: bigint): bigint {
  const below = floorDiv(n, d);
  const twice_gap = 2n * (n - below * d); // 2 * (n/d - below), times d
  if (twice_gap < d) return below;
  if (twice_gap > d) return below + 1n;
  return n > 0n ? below + 1n : below;
}

const amount_minor = fc.bigInt({ min: -(10n ** 27n), max: 10n ** 27n });
const period = fc
  .bigInt({ min: 1n, max: 400n * 86_400_000n })
  .chain((period_ms) => fc.tuple(fc.constant(period_ms), fc.bigInt({ min: 0n, max: period_ms })));

describe('roundDiv', () => {
  it('rounds to the nearest, halves away from zero, for both signs', () => {
    expect([roundDiv(5n, 2n), roundDiv(-5n, 2n), roundDiv(7n, 2n), roundDiv(-7n, 2n)]).toEqual([
      3n,
      -3n,
      4n,
      -4n,
    ]);
    expect([roundDiv(4n, 3n), roundDiv(5n, 3n), roundDiv(-4n, 3n), roundDiv(-5n, 3n)]).toEqual([
      1n,
      2n,
      -1n,
      -2n,
    ]);
    expect([roundDiv(1n, 3n), roundDiv(-1n, 3n), roundDiv(0n, 7n), roundDiv(12n, 4n)]).toEqual([
      0n,
      0n,
      0n,
      3n,
    ]);
    expect([roundDiv(1n, 2n), roundDiv(-1n, 2n), roundDiv(149n, 100n), roundDiv(150n, 100n)]).toEqual([
      1n,
      -1n,
      1n,
      2n,
    ]);
  });

  it('refuses a denominator that is not positive', () => {
    expect(() => roundDiv(1n, 0n)).toThrow(/roundDiv/);
    expect(() => roundDiv(1n, -2n)).toThrow(/roundDiv/);
  });

  it('equals the exact rational reference for any numerator and denominator', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        (n, d) => {
          expect(roundDiv(n, d)).toBe(nearest(n, d));
        },
      ),
    );
  });

  it('hits every exact half, where the rules of rounding differ', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        (k, half) => {
          // (2k + 1) / 2 scaled by `half`: exactly k + 1/2.
          const n = (2n * k + 1n) * half;
          expect(roundDiv(n, 2n * half)).toBe(nearest(n, 2n * half));
          expect(roundDiv(n, 2n * half)).toBe(k >= 0n ? k + 1n : k);
        },
      ),
    );
  });
});

describe('prorate', () => {
  it('charges the remaining share of the period', () => {
    const day_ms = 86_400_000n;
    expect(prorate(1000n, 15n * day_ms, 30n * day_ms)).toBe(500n);
    expect(prorate(3000n, 10n * day_ms, 31n * day_ms)).toBe(968n); // 967.74
    expect(prorate(1000n, 1n, 3n)).toBe(333n);
    expect(prorate(1000n, 2n, 3n)).toBe(667n);
    expect(prorate(1000n, 0n, 3n)).toBe(0n);
    expect(prorate(1000n, 3n, 3n)).toBe(1000n);
  });

  it('rounds halves away from zero, so a credit mirrors its charge', () => {
    expect(prorate(1n, 1n, 2n)).toBe(1n);
    expect(prorate(-1n, 1n, 2n)).toBe(-1n);
    expect(prorate(25n, 1n, 10n)).toBe(3n); // 2.5
    expect(prorate(-25n, 1n, 10n)).toBe(-3n);
    expect(prorate(-1000n, 2n, 3n)).toBe(-667n);
  });

  it('refuses a remaining time outside the period, and an empty period', () => {
    expect(() => prorate(100n, 4n, 3n)).toThrow(/left of/);
    expect(() => prorate(100n, -1n, 3n)).toThrow(/left of/);
    expect(() => prorate(100n, 0n, 0n)).toThrow(/period of 0 ms/);
  });

  it('is within half a minor unit of the exact share, and a credit is the exact negative of the charge', () => {
    fc.assert(
      fc.property(amount_minor, period, (amount, [period_ms, remaining_ms]) => {
        const charge = prorate(amount, remaining_ms, period_ms);
        expect(prorate(-amount, remaining_ms, period_ms)).toBe(-charge);
        const error_times_period = charge * period_ms - amount * remaining_ms;
        const magnitude = error_times_period < 0n ? -error_times_period : error_times_period;
        expect(2n * magnitude <= period_ms).toBe(true);
        expect(charge).toBe(nearest(amount * remaining_ms, period_ms));
      }),
    );
  });

  it('splitting a period in two parts loses or makes at most one minor unit', () => {
    fc.assert(
      fc.property(amount_minor, period, (amount, [period_ms, used_ms]) => {
        const parts = prorate(amount, used_ms, period_ms) + prorate(amount, period_ms - used_ms, period_ms);
        expect(parts - amount >= -1n && parts - amount <= 1n).toBe(true);
      }),
    );
  });
});
