import { assert } from '../shared/assert.js';

/**
 * An exchange rate as an exact decimal: `digits` × 10^-`exp`. Rates are never JavaScript numbers:
 * a binary float cannot hold 1.0833 exactly, and an amount multiplied by it would be off by a
 * minor unit now and then. Every operation here is on bigints.
 */
export interface Decimal {
  readonly digits: bigint;
  readonly exp: number;
}

/** Rates keep at most this many significant digits: inverse and cross rates are rounded to it. */
export const rate_significant_digits = 15;

const rate_pattern = /^(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,15}))?$/;

/** A positive decimal string of at most 12 integer and 15 fraction digits, or undefined. */
export function parseRate(text: string): Decimal | undefined {
  const match = rate_pattern.exec(text);
  if (match === null) return undefined;
  const fraction = match[2] ?? '';
  const rate = normalise({ digits: BigInt((match[1] ?? '0') + fraction), exp: fraction.length });
  return rate.digits === 0n ? undefined : rate;
}

/** Any non-negative decimal as PostgreSQL prints NUMERIC (no limits: stored rates were checked when made). */
export function parseStored(text: string): Decimal {
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  assert(match !== null, `stored decimal "${text}"`);
  const fraction = match[2] ?? '';
  return normalise({ digits: BigInt((match[1] ?? '0') + fraction), exp: fraction.length });
}

/** The shortest decimal string: no trailing zeros, at least one integer digit. */
export function formatDecimal(value: Decimal): string {
  const text = value.digits.toString().padStart(value.exp + 1, '0');
  if (value.exp === 0) return text;
  const whole = text.slice(0, text.length - value.exp);
  return `${whole}.${text.slice(text.length - value.exp)}`;
}

function normalise(value: Decimal): Decimal {
  let { digits, exp } = value;
  while (exp > 0 && digits % 10n === 0n) {
    digits /= 10n;
    exp -= 1;
  }
  return { digits, exp };
}

/**
 * The exact quotient `numerator / denominator` rounded down to `rate_significant_digits`
 * significant digits: used for inverse and cross rates, which are rarely finite decimals.
 */
export function quotient(numerator: bigint, denominator: bigint): Decimal {
  assert(numerator > 0n && denominator > 0n, 'a rate is positive');
  let exp = 0;
  // Scale the numerator until the integer quotient has enough significant digits.
  while ((numerator * 10n ** BigInt(exp)) / denominator < 10n ** BigInt(rate_significant_digits - 1))
    exp += 1;
  const digits = (numerator * 10n ** BigInt(exp)) / denominator;
  return trimDigits({ digits, exp });
}

/** Drops digits past the significant-digit budget, rounding down. */
function trimDigits(value: Decimal): Decimal {
  let { digits, exp } = value;
  while (digits >= 10n ** BigInt(rate_significant_digits)) {
    digits /= 10n;
    exp -= 1;
  }
  // A huge rate could leave a negative exponent; fold it back into the digits.
  if (exp < 0) return normalise({ digits: digits * 10n ** BigInt(-exp), exp: 0 });
  return normalise({ digits, exp });
}

export function inverse(rate: Decimal): Decimal {
  return quotient(10n ** BigInt(rate.exp), rate.digits);
}

export function product(a: Decimal, b: Decimal): Decimal {
  return trimDigits({ digits: a.digits * b.digits, exp: a.exp + b.exp });
}

/** The rate after the platform keeps `spread_bps` hundredths of a percent of it. */
export function lessSpread(mid: Decimal, spread_bps: number): Decimal {
  assert(Number.isInteger(spread_bps) && spread_bps >= 0 && spread_bps < 10_000, 'spread in range');
  return trimDigits({ digits: mid.digits * BigInt(10_000 - spread_bps), exp: mid.exp + 4 });
}

export function compare(a: Decimal, b: Decimal): number {
  const left = a.digits * 10n ** BigInt(b.exp);
  const right = b.digits * 10n ** BigInt(a.exp);
  return left === right ? 0 : left < right ? -1 : 1;
}

/**
 * The rounding rule (docs/fx.md): amounts are minor units of assets with their own scales.
 * Converting a source amount, the target is rounded DOWN; finding the source that buys a target
 * amount, the source is rounded UP. Either way the customer never gets more than the rate gives,
 * and the platform never pays out a fraction it did not receive.
 */
export function targetFor(
  source_minor: bigint,
  rate: Decimal,
  source_scale: number,
  target_scale: number,
): bigint {
  const [numerator, denominator] = scaled(source_minor * rate.digits, rate.exp, source_scale, target_scale);
  return numerator / denominator;
}

export function sourceFor(
  target_minor: bigint,
  rate: Decimal,
  source_scale: number,
  target_scale: number,
): bigint {
  // source = target × 10^source_scale × 10^exp / (digits × 10^target_scale), rounded up.
  const numerator = target_minor * 10n ** BigInt(source_scale + rate.exp);
  const denominator = rate.digits * 10n ** BigInt(target_scale);
  return (numerator + denominator - 1n) / denominator;
}

/** source × rate moved from source units to target units: the exact fraction, before rounding. */
function scaled(value: bigint, exp: number, source_scale: number, target_scale: number): [bigint, bigint] {
  return [value * 10n ** BigInt(target_scale), 10n ** BigInt(exp + source_scale)];
}
