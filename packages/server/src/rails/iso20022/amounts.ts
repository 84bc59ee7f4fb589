import { formatAmount, parseAmount } from '../../shared/money.js';
import { isoError, refuse, refuseWith } from './problems.js';

/**
 * ISO 20022 amounts (ActiveOrHistoricCurrencyAndAmount) have at most 5 decimals and 18 digits.
 * Every amount is read at that scale into bigint units of 10^-5, so sums are exact whatever the
 * currency; JavaScript numbers never touch them.
 */
const fraction_digits_max = 5;
const total_digits_max = 18;

function digitCount(decimal: string): number {
  return decimal.replace('.', '').replace(/^0+/, '').length;
}

/** A positive amount to write, in units of 10^-5, with the number of decimals it was given. */
export function checkAmount(value: string, param: string): { units: bigint; decimals: number } {
  const parsed = parseAmount(value, fraction_digits_max, param);
  if (!parsed.ok) refuseWith(isoError('invalid_field', parsed.error.detail, param, 'invalid_amount'));
  if (digitCount(value) > total_digits_max)
    refuseWith(isoError('invalid_field', `${param} has more than 18 digits.`, param, 'invalid_amount'));
  return { units: parsed.value, decimals: value.split('.')[1]?.length ?? 0 };
}

/** CtrlSum: the exact sum, written with as many decimals as the most precise amount. */
export function controlSum(amounts: readonly { units: bigint; decimals: number }[], param: string): string {
  const units = amounts.reduce((sum, amount) => sum + amount.units, 0n);
  const decimals = Math.max(0, ...amounts.map((amount) => amount.decimals));
  const text = formatAmount(units / 10n ** BigInt(fraction_digits_max - decimals), decimals);
  if (digitCount(text) > total_digits_max) refuse('too_large', `${param} would exceed 18 digits.`, param);
  return text;
}

const file_amount = /^([0-9]+)(?:\.([0-9]+))?$/;

/** An amount read from a bank's file: a non-negative decimal, returned without leading zeros. */
export function readAmount(text: string, param: string): string {
  const match = file_amount.exec(text);
  const whole = match?.[1]?.replace(/^0+(?=[0-9])/, '');
  const fraction = match?.[2];
  if (whole === undefined || (fraction?.length ?? 0) > fraction_digits_max)
    refuse('invalid_value', `${param} is not an amount with at most 5 decimals: "${text}".`, param);
  const canonical = fraction === undefined ? whole : `${whole}.${fraction}`;
  if (digitCount(canonical) > total_digits_max)
    refuse('invalid_value', `${param} has more than 18 digits.`, param);
  return canonical;
}
