import { assert } from '../../shared/assert.js';

/** The most tiers a price may have (Stripe's limit too). */
export const tiers_max = 50;

/**
 * One tier of a tiered price: the units up to and including `up_to` (null: all the rest), each at
 * `unit_amount_minor`, plus `flat_amount_minor` once for reaching the tier.
 */
export interface Tier {
  readonly up_to: bigint | null;
  readonly unit_amount_minor: bigint;
  readonly flat_amount_minor: bigint;
}

export type PriceTerms =
  | { readonly billing_scheme: 'per_unit'; readonly unit_amount_minor: bigint }
  | {
      readonly billing_scheme: 'tiered';
      readonly tiers_mode: 'graduated' | 'volume';
      readonly tiers: readonly Tier[];
    };

/** What a sentence in `tiersProblem` calls tier i: people count from 1. */
const nth = (index: number) => `tier ${index + 1}`;

/** What is wrong with `tiers`, as a sentence for an API error; undefined when nothing is. */
export function tiersProblem(tiers: readonly Tier[]): string | undefined {
  if (tiers.length === 0) return 'A tiered price needs at least one tier.';
  if (tiers.length > tiers_max) return `A tiered price has at most ${tiers_max} tiers, not ${tiers.length}.`;
  let previous_up_to = 0n;
  for (const [index, tier] of tiers.entries()) {
    const last = index === tiers.length - 1;
    if (tier.unit_amount_minor < 0n || tier.flat_amount_minor < 0n)
      return `The amounts of ${nth(index)} must not be negative.`;
    if (tier.up_to === null && !last)
      return `Only the last tier may have no upper bound; ${nth(index)} has none.`;
    if (tier.up_to !== null && last)
      return 'The last tier must have no upper bound, so that every quantity falls in a tier.';
    if (tier.up_to !== null && tier.up_to <= previous_up_to) {
      return index === 0
        ? 'The upper bound of tier 1 must be positive.'
        : `The upper bounds must increase: ${nth(index)} ends at ${tier.up_to}, not after ${previous_up_to}.`;
    }
    previous_up_to = tier.up_to ?? previous_up_to;
  }
  return undefined;
}

/**
 * What `quantity` units cost, in minor units, by Stripe's rules. per_unit: unit amount times
 * quantity. graduated: each unit at the unit amount of the tier it falls in, plus the flat amount
 * of every tier the quantity reaches. volume: every unit at the tier the whole quantity falls in,
 * plus that tier's flat amount. A quantity of 0 costs 0 under every scheme.
 */
export function amountFor(terms: PriceTerms, quantity: bigint): bigint {
  assert(quantity >= 0n, `pricing a quantity of ${quantity}`);
  let amount_minor: bigint;
  if (terms.billing_scheme === 'per_unit') {
    assert(terms.unit_amount_minor >= 0n, 'a unit amount is never negative');
    amount_minor = terms.unit_amount_minor * quantity;
  } else {
    const problem = tiersProblem(terms.tiers);
    assert(problem === undefined, `pricing with invalid tiers: ${problem}`);
    amount_minor =
      terms.tiers_mode === 'graduated' ? graduated(terms.tiers, quantity) : volume(terms.tiers, quantity);
  }
  assert(amount_minor >= 0n, 'a price is never negative');
  return amount_minor;
}

function graduated(tiers: readonly Tier[], quantity: bigint): bigint {
  let amount_minor = 0n;
  let units_below = 0n;
  for (const tier of tiers) {
    // Reaching a tier means holding at least one unit past the previous tier's bound.
    if (quantity <= units_below) break;
    const units_to = tier.up_to === null || tier.up_to > quantity ? quantity : tier.up_to;
    amount_minor += (units_to - units_below) * tier.unit_amount_minor + tier.flat_amount_minor;
    units_below = units_to;
  }
  return amount_minor;
}

function volume(tiers: readonly Tier[], quantity: bigint): bigint {
  if (quantity === 0n) return 0n;
  const tier = tiers.find((candidate) => candidate.up_to === null || quantity <= candidate.up_to);
  assert(tier !== undefined, 'the last tier is unbounded');
  return quantity * tier.unit_amount_minor + tier.flat_amount_minor;
}

/**
 * The most any quantity from 0 to `quantity` can cost. Per unit and graduated prices only grow with
 * the quantity; a volume price need not (a tier's flat amount can cost more than the next tier's
 * units), so each tier reached is priced at the most of it that fits. A usage total that `set`
 * records may bring down is bounded by this before it is accepted.
 */
export function amountCeiling(terms: PriceTerms, quantity: bigint): bigint {
  if (terms.billing_scheme === 'per_unit' || terms.tiers_mode === 'graduated')
    return amountFor(terms, quantity);
  let ceiling = 0n;
  let below = 0n;
  for (const tier of terms.tiers) {
    if (quantity <= below) break;
    const most = tier.up_to === null || tier.up_to > quantity ? quantity : tier.up_to;
    const amount = amountFor(terms, most);
    if (amount > ceiling) ceiling = amount;
    if (tier.up_to === null) break;
    below = tier.up_to;
  }
  return ceiling;
}
