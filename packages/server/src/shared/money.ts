import { assert } from './assert.js';
import { domainError } from './errors.js';
import { fail, ok, type Result } from './result.js';

/**
 * The ceilings that keep every counter inside NUMERIC(39,0) (below 10^39). One movement moves at
 * most `amount_minor_max` (a billion whole units of an 18-decimal asset); no account's balance,
 * held or incoming amount goes past `balance_minor_max`, so a batch of movements on one account
 * stays far inside the column too. The lifetime debit and credit totals of an account grow with
 * every posting; at this movement ceiling they have room for 10^12 maximum-size postings. These
 * are constants, not settings: raising them is what would let the counters overflow.
 */
export const amount_minor_max = 10n ** 27n;
export const balance_minor_max = 10n ** 30n;

const decimal_pattern = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Parses a wire amount ("12.34") of an asset with `scale` decimals into minor units. Refuses
 * anything that is not a plain positive decimal string: numbers, exponents, signs, more decimals
 * than the asset has, zero, and more than `amount_minor_max` minor units.
 */
export function parseAmount(value: unknown, scale: number, param: string): Result<bigint> {
  const invalid = (detail: string) => fail<bigint>(domainError('invalid_amount', detail, param));
  if (typeof value !== 'string')
    return invalid(`${param} must be a decimal string such as "12.34", not a JSON number.`);
  const match = decimal_pattern.exec(value);
  if (match === null) return invalid(`${param} must be a positive decimal string such as "12.34".`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > scale)
    return invalid(`${param} has more than ${scale} decimal places for this asset.`);
  const minor = BigInt(whole + fraction.padEnd(scale, '0'));
  if (minor === 0n) return invalid(`${param} must be greater than zero.`);
  if (minor > amount_minor_max)
    return invalid(`${param} is above the largest amount, ${formatAmount(amount_minor_max, scale)}.`);
  return ok(minor);
}

/** Formats minor units as the wire decimal string with exactly `scale` decimals; negatives keep their sign. */
export function formatAmount(minor: bigint, scale: number): string {
  assert(Number.isInteger(scale) && scale >= 0 && scale <= 18, `bad scale ${scale}`);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const text = scale === 0 ? whole : `${whole}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/** pg returns NUMERIC as a string; this is the one place it becomes a bigint. */
export function minorFromDb(value: string): bigint {
  assert(/^-?[0-9]+$/.test(value), `NUMERIC column held "${value}"`);
  return BigInt(value);
}
