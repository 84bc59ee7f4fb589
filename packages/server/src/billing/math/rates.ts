import { parsePercent as parseMillionths, percent_scale } from '../../ledger/splits.js';
import { assert } from '../../shared/assert.js';
import { roundDiv } from './proration.js';

/**
 * A rate as an exact fraction of the whole: 8.25% is 82_500 / 1_000_000 (0.0825). `parsePercent`
 * always gives millionths, the scale transfer splits use, but every function here accepts any
 * positive denominator, so a Percent built elsewhere (say 1 / 3) is computed just as exactly.
 */
export interface Percent {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/**
 * A percentage from the API, "8.25" or "20", as a Percent: a plain decimal with at most 4
 * decimals, 0 < p <= 100. Undefined for anything else (signs, exponents, "1.", ".5", "007").
 * It is the grammar transfer splits already accept, so both read percentages alike.
 */
export function parsePercent(text: string): Percent | undefined {
  const millionths = parseMillionths(text);
  return millionths === undefined ? undefined : { numerator: millionths, denominator: percent_scale };
}

/** The canonical text of a percentage: no trailing zeros, no trailing dot ("8.25", "20", "0.0001"). */
export function percentText(p: Percent): string {
  assertPercent(p);
  // Ten-thousandths of a percent are millionths of the whole: 4 decimals, the most a rate has.
  const scaled = p.numerator * percent_scale;
  assert(scaled % p.denominator === 0n, `${p.numerator}/${p.denominator} has more than 4 decimals`);
  const ten_thousandths = scaled / p.denominator;
  const whole = ten_thousandths / 10_000n;
  const decimals = (ten_thousandths % 10_000n).toString().padStart(4, '0').replace(/0+$/, '');
  return decimals === '' ? `${whole}` : `${whole}.${decimals}`;
}

/** amount * p, rounded by `roundDiv`. */
export function percentOf(amount_minor: bigint, p: Percent): bigint {
  assertPercent(p);
  return roundDiv(amount_minor * p.numerator, p.denominator);
}

/** A rate Purse accepts: 0 < p <= 100%, with a positive denominator. */
export function assertPercent(p: Percent): void {
  assert(p.denominator > 0n, `percent denominator ${p.denominator}`);
  assert(p.numerator > 0n && p.numerator <= p.denominator, `percent ${p.numerator}/${p.denominator}`);
}
