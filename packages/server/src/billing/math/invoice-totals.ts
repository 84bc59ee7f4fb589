import { apportion, sumOf } from '../../ledger/splits.js';
import { assert } from '../../shared/assert.js';
import { roundDiv } from './proration.js';
import { assertPercent, type Percent, percentOf } from './rates.js';

/*
 * How an invoice adds up. Every amount is a bigint of minor units and every rounding is
 * `roundDiv` (nearest, halves away from zero), so a negative line (a proration credit) gets
 * exactly the negative discount and taxes of the same positive line.
 *
 * 1. subtotal = the sum of the line amounts.
 * 2. Discounts are positive numbers that are subtracted. A percent discount gives each
 *    discountable line roundDiv(amount * percent); a credit line's discount is negative, so a
 *    discounted plan is credited at its discounted price. An amount discount is capped at the sum
 *    of the discountable lines with positive amounts (a discount never makes an invoice negative
 *    by itself) and shared over those lines in proportion to their amounts by the largest
 *    remainder method, so the line discounts add up to it exactly; other lines get 0.
 * 3. A line's taxable amount = its amount - its discount. Each tax rate on the line is computed
 *    on that taxable amount, independently of the line's other rates:
 *    - exclusive (added on top): roundDiv(taxable * p);
 *    - inclusive (already in the price): taxable - roundDiv(taxable / (1 + p)), exact in bigint
 *      fractions, so 20% inclusive in 12.00 is 2.00.
 * 4. discount = the sum of the line discounts; tax = the sum of every tax, exclusive and
 *    inclusive; total = subtotal - discount + exclusive taxes (inclusive taxes are already in the
 *    amounts); total_excluding_tax = total - tax.
 */

export interface LineInput {
  readonly amount_minor: bigint;
  readonly discountable: boolean;
  readonly tax_rates: readonly {
    readonly id: string;
    readonly percent: Percent;
    readonly inclusive: boolean;
  }[];
}

export type DiscountInput = { readonly percent_off: Percent } | { readonly amount_off_minor: bigint };

export interface LineTax {
  readonly tax_rate_id: string;
  readonly inclusive: boolean;
  readonly amount_minor: bigint;
}

export interface LineTotals {
  readonly amount_minor: bigint;
  readonly discount_minor: bigint;
  readonly taxes: readonly LineTax[];
}

export interface InvoiceTotals {
  readonly lines: readonly LineTotals[];
  readonly subtotal_minor: bigint;
  readonly discount_minor: bigint;
  readonly tax_minor: bigint;
  readonly total_excluding_tax_minor: bigint;
  readonly total_minor: bigint;
}

export function invoiceTotals(lines: readonly LineInput[], discount?: DiscountInput): InvoiceTotals {
  const discounts_minor = lineDiscounts(lines, discount);
  const totals = lines.map((line, index): LineTotals => {
    const discount_minor = discounts_minor[index] ?? 0n;
    assert(magnitude(discount_minor) <= magnitude(line.amount_minor), 'a discount never exceeds its line');
    assert(discount_minor * line.amount_minor >= 0n, 'a discount has the sign of its line');
    const taxable_minor = line.amount_minor - discount_minor;
    const taxes = line.tax_rates.map((rate) => ({
      tax_rate_id: rate.id,
      inclusive: rate.inclusive,
      amount_minor: rate.inclusive
        ? inclusiveTax(taxable_minor, rate.percent)
        : percentOf(taxable_minor, rate.percent),
    }));
    return { amount_minor: line.amount_minor, discount_minor, taxes };
  });
  const all_taxes = totals.flatMap((line) => line.taxes);
  const subtotal_minor = sumOf(lines.map((line) => line.amount_minor));
  const discount_minor = sumOf(discounts_minor);
  const tax_minor = sumOf(all_taxes.map((tax) => tax.amount_minor));
  const exclusive_minor = sumOf(all_taxes.filter((tax) => !tax.inclusive).map((tax) => tax.amount_minor));
  const total_minor = subtotal_minor - discount_minor + exclusive_minor;
  return {
    lines: totals,
    subtotal_minor,
    discount_minor,
    tax_minor,
    total_excluding_tax_minor: total_minor - tax_minor,
    total_minor,
  };
}

/** Each line's discount by rule 2 at the top of this file. */
export function lineDiscounts(lines: readonly LineInput[], discount?: DiscountInput): bigint[] {
  if (discount === undefined) return lines.map(() => 0n);
  if ('percent_off' in discount) {
    return lines.map((line) => (line.discountable ? percentOf(line.amount_minor, discount.percent_off) : 0n));
  }
  assert(discount.amount_off_minor >= 0n, `an amount off of ${discount.amount_off_minor}`);
  const holdings = lines.map((line) =>
    line.discountable && line.amount_minor > 0n ? line.amount_minor : 0n,
  );
  const capped_minor = minOf(discount.amount_off_minor, sumOf(holdings));
  if (capped_minor === 0n) return lines.map(() => 0n);
  const shares_minor = apportion(holdings, capped_minor);
  assert(sumOf(shares_minor) <= discount.amount_off_minor, 'never more off than the discount');
  return shares_minor;
}

/**
 * The tax contained in `taxable_minor` at rate p: the amount less its net, net being
 * taxable / (1 + p) = taxable * denominator / (denominator + numerator), rounded by `roundDiv`.
 */
export function inclusiveTax(taxable_minor: bigint, p: Percent): bigint {
  assertPercent(p);
  const net_minor = roundDiv(taxable_minor * p.denominator, p.denominator + p.numerator);
  return taxable_minor - net_minor;
}

const minOf = (a: bigint, b: bigint) => (a < b ? a : b);
const magnitude = (value: bigint) => (value < 0n ? -value : value);
