import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LegRequest, percent_scale, resolveLegs, scaleParts, sumOf } from './splits.js';

const amount = fc.bigInt({ min: 0n, max: 10n ** 30n });
const percentLeg = fc
  .bigInt({ min: 1n, max: percent_scale })
  .map((millionths): LegRequest => ({ kind: 'percent', millionths }));

describe('splits', () => {
  it('any percent split with a remainder sums exactly to the amount, remainder absorbing rounding', () => {
    fc.assert(
      fc.property(amount, fc.array(percentLeg, { minLength: 0, maxLength: 10 }), (net, legs) => {
        const total = sumOf(legs.map((leg) => (leg.kind === 'percent' ? leg.millionths : 0n)));
        fc.pre(total <= percent_scale);
        const result = resolveLegs(net, [...legs, { kind: 'remainder' }]);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(sumOf(result.value)).toBe(net);
        for (const part of result.value) expect(part >= 0n).toBe(true);
      }),
    );
  });

  it('any amount split without a remainder must be exact, and then sums to it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 20n }), { minLength: 1, maxLength: 20 }),
        fc.bigInt({ min: -5n, max: 5n }),
        (parts, skew) => {
          const net = sumOf(parts) + skew;
          fc.pre(net >= 0n);
          const result = resolveLegs(
            net,
            parts.map((amount_minor): LegRequest => ({ kind: 'amount', amount_minor })),
          );
          expect(result.ok).toBe(skew === 0n);
          if (result.ok) expect(result.value).toEqual(parts);
        },
      ),
    );
  });

  it('percents summing to 100 without a remainder give the rounding to the last percent leg', () => {
    const result = resolveLegs(100n, [
      { kind: 'percent', millionths: 333_333n },
      { kind: 'percent', millionths: 333_333n },
      { kind: 'percent', millionths: 333_334n },
    ]);
    expect(result).toEqual({ ok: true, value: [33n, 33n, 34n] });
  });

  it('refuses splits that take more than the amount or two remainders', () => {
    expect(resolveLegs(100n, [{ kind: 'amount', amount_minor: 101n }, { kind: 'remainder' }]).ok).toBe(false);
    expect(resolveLegs(100n, [{ kind: 'remainder' }, { kind: 'remainder' }]).ok).toBe(false);
  });

  it('scaling to a partial capture keeps every minor unit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 18n }), { minLength: 1, maxLength: 10 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (parts, fraction) => {
          const total = sumOf(parts);
          fc.pre(total > 0n);
          const captured = 1n + (BigInt(Math.floor(fraction * 1e6)) * (total - 1n)) / 1_000_000n;
          const scaled = scaleParts(parts, total, captured, parts.length - 1);
          expect(sumOf(scaled)).toBe(captured);
          // Flooring never gives a part more than it had; the absorber gains less than one unit per part.
          for (const [index, part] of scaled.entries()) {
            const slack = index === parts.length - 1 ? BigInt(parts.length) : 0n;
            expect(part <= (parts[index] ?? 0n) + slack).toBe(true);
          }
        },
      ),
    );
  });
});
