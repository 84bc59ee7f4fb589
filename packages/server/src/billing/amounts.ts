import { assert } from '../shared/assert.js';
import { formatAmount, parseAmount } from '../shared/money.js';
import { ok, type Result } from '../shared/result.js';
import { type Percent, parsePercent } from './math/rates.js';

const zero_pattern = /^0(?:\.(0+))?$/;

/**
 * A billing amount that may be zero (a free price, a tier's flat amount of 0.00); otherwise
 * exactly what `parseAmount` accepts, with its problems.
 */
export function parseAmountOrZero(value: unknown, scale: number, param: string): Result<bigint> {
  if (typeof value === 'string') {
    const zero = zero_pattern.exec(value);
    if (zero !== null && (zero[1] ?? '').length <= scale) return ok(0n);
  }
  return parseAmount(value, scale, param);
}

/** A NUMERIC(7,4) percentage as the API shows it: "8.2500" is "8.25", "20.0000" is "20". */
export function percentView(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** The same percentage as an exact fraction; the CHECK on the column keeps it valid. */
export function percentFromDb(text: string): Percent {
  const percent = parsePercent(percentView(text));
  assert(percent !== undefined, `stored percentage ${text}`);
  return percent;
}

/** A scaled money string for a bigint, or null: the views' one formatter. */
export function moneyOrNull(minor: bigint | null, scale: number): string | null {
  return minor === null ? null : formatAmount(minor, scale);
}
