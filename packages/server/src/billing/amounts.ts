import { assert } from '../shared/assert.js';
import { type DomainError, domainError } from '../shared/errors.js';
import { amount_minor_max, formatAmount, parseAmount } from '../shared/money.js';
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

/**
 * The most one line may bill, and the most lines waiting for a subscription's next invoice. An
 * invoice has at most 250 lines (items, usage, waiting prorations), so its total, taxes included,
 * stays far inside the largest amount the ledger moves: a quantity or usage that would pass it is
 * refused when it is given, never found by the billing run, where it would stop the batch.
 */
export const line_amount_minor_max = amount_minor_max / 1_000n;
export const pending_lines_max = 100;

/** Refuses an amount one line could not bill. */
export function lineTooLarge(amount_minor: bigint, param: string): DomainError | undefined {
  if (amount_minor <= line_amount_minor_max) return undefined;
  return domainError(
    'invalid_amount',
    `${param} makes a line larger than the largest billable amount.`,
    param,
  );
}
