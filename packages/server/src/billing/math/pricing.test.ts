import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amountCeiling, amountFor, type PriceTerms, type Tier, tiersProblem } from './pricing.js';

const tier = (up_to: bigint | null, unit_amount_minor: bigint, flat_amount_minor = 0n): Tier => ({
  up_to,
  unit_amount_minor,
  flat_amount_minor,
});

// 1-5 at 5.00 plus 10.00 flat, 6-10 at 4.00 plus 2.00 flat, 11 and up at 3.00 plus 1.00 flat.
const tiers = [tier(5n, 500n, 1000n), tier(10n, 400n, 200n), tier(null, 300n, 100n)];
const graduated: PriceTerms = { billing_scheme: 'tiered', tiers_mode: 'graduated', tiers };
const volume: PriceTerms = { billing_scheme: 'tiered', tiers_mode: 'volume', tiers };

/** The reference: unit by unit, each at the tier it falls in, a tier's flat amount at its first unit. */
function graduatedByUnit(tiers: readonly Tier[], quantity: bigint): bigint {
  let amount_minor = 0n;
  for (let unit = 1n; unit <= quantity; unit += 1n) {
    const index = tiers.findIndex((candidate) => candidate.up_to === null || unit <= candidate.up_to);
    const first_unit = index === 0 ? 1n : (tiers[index - 1]?.up_to ?? 0n) + 1n;
    const current = tiers[index] as Tier;
    amount_minor += current.unit_amount_minor + (unit === first_unit ? current.flat_amount_minor : 0n);
  }
  return amount_minor;
}

/** The reference: every tier's range (previous bound, bound] checked, exactly one holding the quantity. */
function volumeByScan(tiers: readonly Tier[], quantity: bigint): bigint {
  if (quantity === 0n) return 0n;
  const holding = tiers.filter((candidate, index) => {
    const above = index === 0 ? 0n : (tiers[index - 1]?.up_to ?? 0n);
    return quantity > above && (candidate.up_to === null || quantity <= candidate.up_to);
  });
  expect(holding).toHaveLength(1);
  const [only] = holding as [Tier];
  let amount_minor = only.flat_amount_minor;
  for (let unit = 1n; unit <= quantity; unit += 1n) amount_minor += only.unit_amount_minor;
  return amount_minor;
}

/** Valid tiers: up to 6, bounds growing by 1 to 20 units, the last unbounded. */
const validTiers = fc
  .array(
    fc.record({
      width: fc.bigInt({ min: 1n, max: 20n }),
      unit: fc.bigInt({ min: 0n, max: 10_000n }),
      flat: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10_000n })),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((specs) => {
    let up_to = 0n;
    return specs.map((spec, index): Tier => {
      up_to += spec.width;
      return tier(index === specs.length - 1 ? null : up_to, spec.unit, spec.flat);
    });
  });

describe('pricing', () => {
  it('per unit: the unit amount times the quantity', () => {
    const terms: PriceTerms = { billing_scheme: 'per_unit', unit_amount_minor: 999n };
    expect(amountFor(terms, 12n)).toBe(11_988n);
    expect(amountFor(terms, 0n)).toBe(0n);
  });

  it('graduated: each unit at its tier, plus the flat amount of every tier reached', () => {
    expect(amountFor(graduated, 0n)).toBe(0n);
    expect(amountFor(graduated, 1n)).toBe(1_500n); // 5.00 + 10.00 flat
    expect(amountFor(graduated, 3n)).toBe(2_500n);
    expect(amountFor(graduated, 5n)).toBe(3_500n);
    expect(amountFor(graduated, 6n)).toBe(4_100n); // 35.00 + 4.00 + 2.00 flat
    expect(amountFor(graduated, 10n)).toBe(5_700n);
    expect(amountFor(graduated, 12n)).toBe(6_400n); // 57.00 + 2 x 3.00 + 1.00 flat
  });

  it('volume: every unit at the tier of the whole quantity, plus that tier flat amount', () => {
    expect(amountFor(volume, 0n)).toBe(0n);
    expect(amountFor(volume, 3n)).toBe(2_500n);
    expect(amountFor(volume, 5n)).toBe(3_500n);
    expect(amountFor(volume, 6n)).toBe(2_600n); // 6 x 4.00 + 2.00: more units can cost less
    expect(amountFor(volume, 10n)).toBe(4_200n);
    expect(amountFor(volume, 12n)).toBe(3_700n);
  });

  it('says what is wrong with tiers', () => {
    expect(tiersProblem(tiers)).toBeUndefined();
    expect(tiersProblem([tier(null, 1n)])).toBeUndefined();
    expect(tiersProblem([])).toMatch(/at least one tier/);
    expect(tiersProblem([tier(5n, 1n), tier(5n, 1n), tier(null, 1n)])).toMatch(
      /tier 2 ends at 5, not after 5/,
    );
    expect(tiersProblem([tier(5n, 1n), tier(3n, 1n), tier(null, 1n)])).toMatch(/must increase/);
    expect(tiersProblem([tier(0n, 1n), tier(null, 1n)])).toMatch(/tier 1 must be positive/);
    expect(tiersProblem([tier(-3n, 1n), tier(null, 1n)])).toMatch(/tier 1 must be positive/);
    expect(tiersProblem([tier(5n, 1n)])).toMatch(/last tier must have no upper bound/);
    expect(tiersProblem([tier(null, 1n), tier(null, 1n)])).toMatch(/Only the last tier.*tier 1/);
    expect(tiersProblem([tier(5n, 1n), tier(null, -1n)])).toMatch(/tier 2 must not be negative/);
    expect(tiersProblem([tier(5n, 1n, -1n), tier(null, 1n)])).toMatch(/tier 1 must not be negative/);
    const bounded = (count: number) =>
      Array.from({ length: count }, (_, index) => tier(BigInt(index + 1), 1n));
    expect(tiersProblem([...bounded(49), tier(null, 1n)])).toBeUndefined();
    expect(tiersProblem([...bounded(50), tier(null, 1n)])).toMatch(/at most 50 tiers, not 51/);
  });

  it('refuses to price with invalid tiers or a negative quantity', () => {
    const broken: PriceTerms = { billing_scheme: 'tiered', tiers_mode: 'volume', tiers: [tier(5n, 1n)] };
    expect(() => amountFor(broken, 1n)).toThrow(/no upper bound/);
    expect(() => amountFor(graduated, -1n)).toThrow(/quantity of -1/);
  });

  it('graduated equals pricing unit by unit, and never falls as the quantity grows', () => {
    fc.assert(
      fc.property(validTiers, fc.bigInt({ min: 0n, max: 150n }), (tiers, quantity) => {
        expect(tiersProblem(tiers)).toBeUndefined();
        const terms: PriceTerms = { billing_scheme: 'tiered', tiers_mode: 'graduated', tiers };
        expect(amountFor(terms, quantity)).toBe(graduatedByUnit(tiers, quantity));
        expect(amountFor(terms, quantity + 1n) >= amountFor(terms, quantity)).toBe(true);
      }),
    );
  });

  it('volume equals the one tier holding the quantity, priced unit by unit', () => {
    fc.assert(
      fc.property(validTiers, fc.bigInt({ min: 0n, max: 150n }), (tiers, quantity) => {
        const terms: PriceTerms = { billing_scheme: 'tiered', tiers_mode: 'volume', tiers };
        expect(amountFor(terms, quantity)).toBe(volumeByScan(tiers, quantity));
      }),
    );
  });

  it('a single unbounded tier prices like per unit plus its flat amount, in both modes', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (unit, flat, quantity) => {
          const only = [tier(null, unit, flat)];
          const expected =
            amountFor({ billing_scheme: 'per_unit', unit_amount_minor: unit }, quantity) + flat;
          for (const tiers_mode of ['graduated', 'volume'] as const)
            expect(amountFor({ billing_scheme: 'tiered', tiers_mode, tiers: only }, quantity)).toBe(expected);
        },
      ),
    );
  });
});

describe('amountCeiling', () => {
  it('is the most any smaller quantity costs, for a volume price whose flat amount falls away', () => {
    const terms = {
      billing_scheme: 'tiered' as const,
      tiers_mode: 'volume' as const,
      tiers: [
        { up_to: 1n, unit_amount_minor: 0n, flat_amount_minor: 1_000n },
        { up_to: null, unit_amount_minor: 1n, flat_amount_minor: 0n },
      ],
    };
    expect(amountFor(terms, 5n)).toBe(5n);
    expect(amountCeiling(terms, 5n)).toBe(1_000n);
    expect(amountCeiling(terms, 2_000n)).toBe(2_000n);
    for (let q = 0n; q <= 30n; q += 1n) {
      let most = 0n;
      for (let r = 0n; r <= q; r += 1n) if (amountFor(terms, r) > most) most = amountFor(terms, r);
      expect(amountCeiling(terms, q)).toBe(most);
    }
  });
});
