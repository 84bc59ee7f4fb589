import { assert } from '../shared/assert.js';
import { domainError } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';

/** Percentages carry up to 4 decimals, so they are whole millionths of the net amount. */
export const percent_scale = 1_000_000n;

export type LegRequest =
  | { readonly kind: 'amount'; readonly amount_minor: bigint }
  | { readonly kind: 'percent'; readonly millionths: bigint }
  | { readonly kind: 'remainder' };

/**
 * Resolves destination legs to exact amounts of `net_minor`, by the one rounding rule:
 * amount legs take their amount; percent legs take floor(net * percent); and the rounding left
 * over goes to the remainder leg, or, when there is none, to the last percent leg. Without a
 * remainder leg the requests must add up to exactly the net amount (in exact arithmetic). The
 * result always sums to `net_minor`: no minor unit is created or lost.
 */
export function resolveLegs(net_minor: bigint, legs: readonly LegRequest[]): Result<bigint[]> {
  assert(net_minor >= 0n && legs.length > 0, 'resolveLegs needs a net amount and legs');
  const invalid = (detail: string) => fail<bigint[]>(domainError('invalid_split', detail, 'destinations'));
  const remainders = legs.filter((leg) => leg.kind === 'remainder').length;
  if (remainders > 1) return invalid('At most one destination may take the remainder.');
  const resolved = legs.map((leg) => {
    if (leg.kind === 'amount') return leg.amount_minor;
    if (leg.kind === 'percent') return (net_minor * leg.millionths) / percent_scale;
    return 0n;
  });
  const assigned = resolved.reduce((sum, amount) => sum + amount, 0n);
  if (assigned > net_minor) return invalid('The destinations add up to more than the amount to split.');
  const absorber =
    remainders === 1 ? legs.findIndex((leg) => leg.kind === 'remainder') : lastPercentLeg(legs);
  if (remainders === 0 && !exactlyWhole(net_minor, legs)) {
    return invalid(
      'Without a remainder destination, the amounts and percentages must add up to exactly the amount.',
    );
  }
  if (absorber >= 0) resolved[absorber] = (resolved[absorber] ?? 0n) + (net_minor - assigned);
  assert(sumOf(resolved) === net_minor, 'legs must sum to the net amount');
  return ok(resolved);
}

function lastPercentLeg(legs: readonly LegRequest[]): number {
  for (let i = legs.length - 1; i >= 0; i -= 1) if (legs[i]?.kind === 'percent') return i;
  return -1;
}

/** sum(amounts) + net * sum(percent) == net, compared exactly in millionths. */
function exactlyWhole(net_minor: bigint, legs: readonly LegRequest[]): boolean {
  let total_millionths = 0n;
  for (const leg of legs) {
    if (leg.kind === 'amount') total_millionths += leg.amount_minor * percent_scale;
    if (leg.kind === 'percent') total_millionths += net_minor * leg.millionths;
  }
  return total_millionths === net_minor * percent_scale;
}

/**
 * Scales resolved parts (fee and legs) of a hold to a partial capture: each part gets
 * floor(part * captured / amount) and the rounding left over goes to part `absorber`, so the
 * parts again sum exactly to `captured_minor`.
 */
export function scaleParts(
  parts: readonly bigint[],
  amount_minor: bigint,
  captured_minor: bigint,
  absorber: number,
): bigint[] {
  assert(captured_minor > 0n && captured_minor <= amount_minor, 'capture must be within the hold');
  assert(sumOf(parts) === amount_minor, 'parts must sum to the amount');
  const scaled = parts.map((part) => (part * captured_minor) / amount_minor);
  scaled[absorber] = (scaled[absorber] ?? 0n) + (captured_minor - sumOf(scaled));
  assert(sumOf(scaled) === captured_minor, 'scaled parts must sum to the capture');
  return scaled;
}

export function sumOf(values: readonly bigint[]): bigint {
  return values.reduce((sum, value) => sum + value, 0n);
}

/** A percentage such as "12.5" as millionths of the whole (125_000n): up to 4 decimals, 0 < p <= 100. */
export function parsePercent(value: string): bigint | undefined {
  const match = /^(0|[1-9][0-9]{0,2})(?:\.([0-9]{1,4}))?$/.exec(value);
  if (match === null) return undefined;
  const millionths = BigInt(`${match[1]}${(match[2] ?? '').padEnd(4, '0')}`);
  return millionths > 0n && millionths <= percent_scale ? millionths : undefined;
}

/**
 * Shares `amount_minor` over parts in proportion to what each still holds, by the largest
 * remainder method: each part gets floor(amount * part / total), and the units left over go one
 * each to the parts with the largest fractional remainders (earlier parts first on ties). No part
 * ever gets more than it holds, the shares sum exactly to the amount, and sharing the whole total
 * returns every part in full. Refunds use it, so a refund never takes more from a leg than it got.
 */
export function apportion(holdings: readonly bigint[], amount_minor: bigint): bigint[] {
  const total = sumOf(holdings);
  assert(amount_minor > 0n && amount_minor <= total, 'apportion within the total');
  assert(
    holdings.every((held) => held >= 0n),
    'holdings are never negative',
  );
  const shares = holdings.map((held) => (held * amount_minor) / total);
  const remainders = holdings.map((held, index) => ({ index, rest: (held * amount_minor) % total }));
  remainders.sort((a, b) => (a.rest === b.rest ? a.index - b.index : a.rest > b.rest ? -1 : 1));
  let left = amount_minor - sumOf(shares);
  for (const { index } of remainders) {
    if (left === 0n) break;
    shares[index] = (shares[index] ?? 0n) + 1n;
    left -= 1n;
  }
  assert(sumOf(shares) === amount_minor, 'shares sum to the amount');
  return shares;
}
