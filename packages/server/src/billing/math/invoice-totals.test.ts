import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DiscountInput, type InvoiceTotals, invoiceTotals, type LineInput } from './invoice-totals.js';
import { type Percent, parsePercent } from './rates.js';

const percent = (text: string) => parsePercent(text) as Percent;
const line = (
  amount_minor: bigint,
  tax_rates: LineInput['tax_rates'] = [],
  discountable = true,
): LineInput => ({
  amount_minor,
  discountable,
  tax_rates,
});
const rate = (id: string, text: string, inclusive: boolean) => ({ id, percent: percent(text), inclusive });
const abs = (value: bigint) => (value < 0n ? -value : value);

/**
 * The reference rounding, stated as what it means rather than how it is computed: r is within
 * half of n / d, and on an exact half it is the one farther from zero.
 */
function isNearest(r: bigint, n: bigint, d: bigint): boolean {
  const twice_gap = 2n * abs(r * d - n);
  return twice_gap < d || (twice_gap === d && abs(r * d) > abs(n));
}

describe('invoice totals, by hand', () => {
  it('an empty invoice is all zeros', () => {
    expect(invoiceTotals([])).toEqual({
      lines: [],
      subtotal_minor: 0n,
      discount_minor: 0n,
      tax_minor: 0n,
      total_excluding_tax_minor: 0n,
      total_minor: 0n,
    });
  });

  it('20% inclusive tax on 12.00 contains 2.00; the total stays 12.00', () => {
    const totals = invoiceTotals([line(1200n, [rate('txr_vat', '20', true)])]);
    expect(totals.lines[0]?.taxes).toEqual([{ tax_rate_id: 'txr_vat', inclusive: true, amount_minor: 200n }]);
    expect(totals).toMatchObject({
      subtotal_minor: 1200n,
      tax_minor: 200n,
      total_excluding_tax_minor: 1000n,
      total_minor: 1200n,
    });
  });

  it('8.25% exclusive tax on 10.00 adds 0.83 (0.825 rounds up), and a 10.00 credit gets -0.83', () => {
    const sales_tax = [rate('txr_ca', '8.25', false)];
    const totals = invoiceTotals([line(1000n, sales_tax), line(-1000n, sales_tax), line(1000n, sales_tax)]);
    expect(totals.lines.map((each) => each.taxes[0]?.amount_minor)).toEqual([83n, -83n, 83n]);
    expect(totals).toMatchObject({
      subtotal_minor: 1000n,
      tax_minor: 83n,
      total_excluding_tax_minor: 1000n,
      total_minor: 1083n,
    });
  });

  it('rounds exact halves away from zero for inclusive tax too', () => {
    // 5% inclusive in 0.21: net 0.20, tax 0.01. In 0.63: net 60.0 exactly. In 1.05 * 0.5 = 0.525: net 0.50.
    const vat = [rate('txr_5', '5', true)];
    const totals = invoiceTotals([
      line(21n, vat),
      line(-21n, vat),
      line(63n, vat),
      line(1n, [rate('txr_100', '100', true)]),
    ]);
    expect(totals.lines.map((each) => each.taxes[0]?.amount_minor)).toEqual([1n, -1n, 3n, 0n]); // 0.5 net -> 1, tax 0
    const exclusive_half = invoiceTotals([
      line(10n, [rate('txr_5', '5', false)]),
      line(-10n, [rate('txr_5', '5', false)]),
    ]);
    expect(exclusive_half.lines.map((each) => each.taxes[0]?.amount_minor)).toEqual([1n, -1n]); // 0.5 -> 1, -0.5 -> -1
  });

  it('a percent discount takes its share of each discountable line, and of credits', () => {
    const totals = invoiceTotals([line(1000n), line(999n), line(500n, [], false), line(-1000n)], {
      percent_off: percent('25'),
    });
    expect(totals.lines.map((each) => each.discount_minor)).toEqual([250n, 250n, 0n, -250n]); // 249.75 -> 250
    expect(totals).toMatchObject({ subtotal_minor: 1499n, discount_minor: 250n, total_minor: 1249n });
  });

  it('an amount discount is spread in proportion, a third each on equal lines, summing exactly', () => {
    const three = [line(1000n), line(1000n), line(1000n)];
    expect(invoiceTotals(three, { amount_off_minor: 300n }).lines.map((each) => each.discount_minor)).toEqual(
      [100n, 100n, 100n],
    );
    expect(invoiceTotals(three, { amount_off_minor: 100n }).lines.map((each) => each.discount_minor)).toEqual(
      [34n, 33n, 33n],
    );
    const uneven = invoiceTotals([line(100n), line(200n)], { amount_off_minor: 100n });
    expect(uneven.lines.map((each) => each.discount_minor)).toEqual([33n, 67n]); // 33.3 and 66.7
    expect(uneven).toMatchObject({ subtotal_minor: 300n, discount_minor: 100n, total_minor: 200n });
  });

  it('an amount discount skips credits and non-discountable lines and is capped at what it can discount', () => {
    const lines = [line(300n), line(600n), line(500n, [], false), line(-200n)];
    const totals = invoiceTotals(lines, { amount_off_minor: 5000n });
    expect(totals.lines.map((each) => each.discount_minor)).toEqual([300n, 600n, 0n, 0n]);
    expect(totals).toMatchObject({ subtotal_minor: 1200n, discount_minor: 900n, total_minor: 300n });
    expect(
      invoiceTotals([line(-200n), line(50n, [], false)], { amount_off_minor: 100n }).discount_minor,
    ).toBe(0n);
    expect(() => invoiceTotals(lines, { amount_off_minor: -1n })).toThrow(/amount off of -1/);
  });

  it('taxes the discounted amount, each rate on it independently, inclusive and exclusive together', () => {
    const discounted = invoiceTotals([line(1000n, [rate('txr_20', '20', false)])], {
      percent_off: percent('10'),
    });
    expect(discounted.lines[0]?.taxes[0]?.amount_minor).toBe(180n); // 20% of 9.00
    expect(discounted).toMatchObject({
      discount_minor: 100n,
      tax_minor: 180n,
      total_excluding_tax_minor: 900n,
      total_minor: 1080n,
    });

    const two = invoiceTotals([line(1000n, [rate('txr_state', '5', false), rate('txr_city', '10', false)])]);
    expect(two.lines[0]?.taxes.map((tax) => tax.amount_minor)).toEqual([50n, 100n]);
    expect(two).toMatchObject({ tax_minor: 150n, total_minor: 1150n, total_excluding_tax_minor: 1000n });

    const mixed = invoiceTotals([line(1200n, [rate('txr_vat', '20', true), rate('txr_levy', '10', false)])]);
    expect(mixed.lines[0]?.taxes.map((tax) => tax.amount_minor)).toEqual([200n, 120n]);
    expect(mixed).toMatchObject({
      subtotal_minor: 1200n,
      tax_minor: 320n,
      total_excluding_tax_minor: 1000n,
      total_minor: 1320n,
    });
  });
});

const someRate = fc.oneof(
  fc.constantFrom('20', '8.25', '5', '100', '0.0001', '33.3333').map(percent),
  fc.bigInt({ min: 1n, max: 1_000_000n }).map((numerator) => ({ numerator, denominator: 1_000_000n })),
  // Any exact fraction, such as 1/3: the arithmetic must not depend on millionths.
  fc
    .bigInt({ min: 1n, max: 997n })
    .chain((denominator) =>
      fc.bigInt({ min: 1n, max: denominator }).map((numerator) => ({ numerator, denominator })),
    ),
);
const someLine = fc.record({
  amount_minor: fc.oneof(
    fc.bigInt({ min: -200n, max: 200n }),
    fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
  ),
  discountable: fc.boolean(),
  tax_rates: fc.array(
    fc.record({ id: fc.constantFrom('txr_a', 'txr_b'), percent: someRate, inclusive: fc.boolean() }),
    {
      maxLength: 3,
    },
  ),
});
const someLines = fc.array(someLine, { maxLength: 8 });
const percentDiscount = someRate.map((percent_off): DiscountInput => ({ percent_off }));
const amountDiscount = fc
  .oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 10n ** 13n }))
  .map((amount_off_minor): DiscountInput => ({ amount_off_minor }));
const someDiscount = fc.option(fc.oneof(percentDiscount, amountDiscount), { nil: undefined });

const positiveDiscountable = (lines: readonly LineInput[]) =>
  lines.map((each) => (each.discountable && each.amount_minor > 0n ? each.amount_minor : 0n));
const sum = (values: readonly bigint[]) => values.reduce((total, value) => total + value, 0n);

describe('invoice totals, against the reference rules', () => {
  it('line discounts sum to the invoice discount, each the rounded exact percentage', () => {
    fc.assert(
      fc.property(someLines, percentDiscount, (lines, discount) => {
        const totals = invoiceTotals(lines, discount);
        expect(sum(totals.lines.map((each) => each.discount_minor))).toBe(totals.discount_minor);
        const p = 'percent_off' in discount ? discount.percent_off : { numerator: 0n, denominator: 1n };
        lines.forEach((input, index) => {
          const discount_minor = totals.lines[index]?.discount_minor ?? -1n;
          if (!input.discountable) expect(discount_minor).toBe(0n);
          else expect(isNearest(discount_minor, input.amount_minor * p.numerator, p.denominator)).toBe(true);
        });
      }),
    );
  });

  it('an amount discount is exactly min(amount off, positive discountable sum), shared by largest remainder', () => {
    fc.assert(
      fc.property(someLines, amountDiscount, (lines, discount) => {
        const amount_off_minor = 'amount_off_minor' in discount ? discount.amount_off_minor : 0n;
        const totals = invoiceTotals(lines, discount);
        const holdings = positiveDiscountable(lines);
        const holding_sum = sum(holdings);
        const capped = amount_off_minor < holding_sum ? amount_off_minor : holding_sum;
        const shares = totals.lines.map((each) => each.discount_minor);
        expect(totals.discount_minor).toBe(capped);
        expect(sum(shares)).toBe(capped);
        if (holding_sum === 0n) return;
        // Each share is the floor of its exact share or one more, and the ones rounded up had the
        // largest remainders.
        const rests = holdings.map((held) => (held * capped) % holding_sum);
        const bumped = shares.map((share, index) => share - ((holdings[index] ?? 0n) * capped) / holding_sum);
        for (const [index, bump] of bumped.entries()) {
          expect(bump === 0n || bump === 1n).toBe(true);
          if (bump === 1n)
            for (const [other, rest] of rests.entries())
              if (bumped[other] === 0n) expect(rests[index] ?? 0n).toBeGreaterThanOrEqual(rest);
          expect(shares[index] ?? 0n).toBeLessThanOrEqual(holdings[index] ?? 0n);
        }
      }),
    );
  });

  it('every tax is the rounded exact tax of the taxable amount; inclusive tax plus the net is the taxable amount', () => {
    fc.assert(
      fc.property(someLines, someDiscount, (lines, discount) => {
        const totals = invoiceTotals(lines, discount);
        lines.forEach((input, index) => {
          const computed = totals.lines[index];
          if (computed === undefined) throw new Error(`line ${index} is missing`);
          const taxable = input.amount_minor - computed.discount_minor;
          input.tax_rates.forEach(({ id, percent: p, inclusive }, rate_index) => {
            const tax = computed.taxes[rate_index];
            expect(tax).toMatchObject({ tax_rate_id: id, inclusive });
            const tax_minor = tax?.amount_minor ?? 0n;
            if (inclusive) {
              // The net is taxable / (1 + p), rounded; the tax is what is left.
              expect(
                isNearest(taxable - tax_minor, taxable * p.denominator, p.denominator + p.numerator),
              ).toBe(true);
            } else {
              expect(isNearest(tax_minor, taxable * p.numerator, p.denominator)).toBe(true);
            }
          });
        });
      }),
    );
  });

  it('the totals add up: subtotal, discount, exclusive and inclusive taxes', () => {
    fc.assert(
      fc.property(someLines, someDiscount, (lines, discount) => {
        const totals = invoiceTotals(lines, discount);
        const taxes = totals.lines.flatMap((each) => each.taxes);
        const exclusive = sum(taxes.filter((tax) => !tax.inclusive).map((tax) => tax.amount_minor));
        const inclusive = sum(taxes.filter((tax) => tax.inclusive).map((tax) => tax.amount_minor));
        expect(totals.subtotal_minor).toBe(sum(lines.map((each) => each.amount_minor)));
        expect(totals.tax_minor).toBe(exclusive + inclusive);
        expect(totals.total_minor).toBe(totals.subtotal_minor - totals.discount_minor + exclusive);
        expect(totals.total_excluding_tax_minor).toBe(
          totals.subtotal_minor - totals.discount_minor - inclusive,
        );
        expect(totals.lines.map((each) => each.amount_minor)).toEqual(lines.map((each) => each.amount_minor));
      }),
    );
  });

  it('negating every line negates every discount, tax and total', () => {
    const negate = (totals: InvoiceTotals): InvoiceTotals => ({
      lines: totals.lines.map((each) => ({
        amount_minor: -each.amount_minor,
        discount_minor: -each.discount_minor,
        taxes: each.taxes.map((tax) => ({ ...tax, amount_minor: -tax.amount_minor })),
      })),
      subtotal_minor: -totals.subtotal_minor,
      discount_minor: -totals.discount_minor,
      tax_minor: -totals.tax_minor,
      total_excluding_tax_minor: -totals.total_excluding_tax_minor,
      total_minor: -totals.total_minor,
    });
    fc.assert(
      fc.property(someLines, fc.option(percentDiscount, { nil: undefined }), (lines, discount) => {
        const credits = lines.map((each) => ({ ...each, amount_minor: -each.amount_minor }));
        expect(invoiceTotals(credits, discount)).toEqual(negate(invoiceTotals(lines, discount)));
      }),
    );
  });
});
