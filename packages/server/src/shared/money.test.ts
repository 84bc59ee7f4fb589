import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amount_minor_max, formatAmount, parseAmount } from './money.js';

describe('money', () => {
  it('round-trips every amount of every scale exactly', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: amount_minor_max }),
        fc.integer({ min: 0, max: 18 }),
        (minor, scale) => {
          const parsed = parseAmount(formatAmount(minor, scale), scale, 'amount');
          expect(parsed).toEqual({ ok: true, value: minor });
        },
      ),
    );
  });

  it('accepts the largest amount, 10^27 minor units, at every scale', () => {
    expect(parseAmount('1000000000000000000000000000', 0, 'amount')).toEqual({ ok: true, value: 10n ** 27n });
    expect(parseAmount('1000000000.000000000000000000', 18, 'amount')).toEqual({
      ok: true,
      value: 10n ** 27n,
    });
  });

  it('accepts fewer decimals than the scale', () => {
    expect(parseAmount('12.3', 2, 'amount')).toEqual({ ok: true, value: 1230n });
    expect(parseAmount('7', 2, 'amount')).toEqual({ ok: true, value: 700n });
    expect(parseAmount('0.000000000000000001', 18, 'amount')).toEqual({ ok: true, value: 1n });
  });

  it.each([
    [12.34, 'a JSON number'],
    ['12.345', 'too many decimals'],
    ['0', 'zero'],
    ['0.00', 'zero'],
    ['-1.00', 'negative'],
    ['1e3', 'exponent'],
    ['01.00', 'leading zero'],
    ['1.', 'trailing dot'],
    [' 1.00', 'whitespace'],
    ['100000000000000000000000000000000000000', '10^38'],
    ['10000000000000000000000000.01', 'one minor unit above the largest amount'],
    [null, 'null'],
  ])('refuses %j (%s) with invalid_amount naming the field', (value, _why) => {
    const result = parseAmount(value, 2, 'amount');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: 'invalid_amount', param: 'amount' });
  });

  it('formats with exactly the asset scale', () => {
    expect(formatAmount(5n, 2)).toBe('0.05');
    expect(formatAmount(-1234n, 2)).toBe('-12.34');
    expect(formatAmount(42n, 0)).toBe('42');
    expect(formatAmount(1n, 18)).toBe('0.000000000000000001');
  });
});
