import { assert } from '../../shared/assert.js';

/**
 * The one rounding rule of billing: numerator / denominator to the nearest integer, halves away
 * from zero. Rounding the magnitude and putting the sign back makes it odd-symmetric, so
 * roundDiv(-n, d) === -roundDiv(n, d): a credit is always the exact negative of the charge it
 * reverses, which floor or banker's rounding would not guarantee.
 */
export function roundDiv(numerator: bigint, denominator: bigint): bigint {
  assert(denominator > 0n, `roundDiv by ${denominator}`);
  const magnitude = numerator < 0n ? -numerator : numerator;
  const quotient = magnitude / denominator;
  const rest = magnitude % denominator;
  const rounded = 2n * rest >= denominator ? quotient + 1n : quotient;
  return numerator < 0n ? -rounded : rounded;
}

/**
 * The part of `amount_minor` for `remaining_ms` of a `period_ms` period: amount * remaining /
 * period by `roundDiv`. A negative amount gives the credit for the same time, the exact negative
 * of the charge. Milliseconds are bigints so a long period times a large amount stays exact.
 */
export function prorate(amount_minor: bigint, remaining_ms: bigint, period_ms: bigint): bigint {
  assert(period_ms > 0n, `prorating over a period of ${period_ms} ms`);
  assert(remaining_ms >= 0n && remaining_ms <= period_ms, `${remaining_ms} ms left of ${period_ms} ms`);
  const prorated_minor = roundDiv(amount_minor * remaining_ms, period_ms);
  const magnitude = (value: bigint) => (value < 0n ? -value : value);
  assert(magnitude(prorated_minor) <= magnitude(amount_minor), 'a part is never more than the whole');
  return prorated_minor;
}
