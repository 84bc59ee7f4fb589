import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeTotals, overviewSeries, rateOf } from './overview-shape.js';

describe('rateOf', () => {
  it('has 4 decimals, rounded half up, and is 0.0000 of nothing', () => {
    expect(rateOf(1n, 11n)).toBe('0.0909');
    expect(rateOf(2n, 122n)).toBe('0.0164');
    expect(rateOf(1n, 3n)).toBe('0.3333');
    expect(rateOf(2n, 3n)).toBe('0.6667');
    expect(rateOf(1n, 20_000n)).toBe('0.0001');
    expect(rateOf(0n, 0n)).toBe('0.0000');
    expect(rateOf(7n, 7n)).toBe('1.0000');
  });

  it('is within half a basis point of the exact fraction', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (whole, share) => {
          const part = BigInt(Math.floor(Number(whole) * share));
          const rate = rateOf(part > whole ? whole : part, whole);
          expect(
            Math.abs(Number(rate) - Number(part > whole ? whole : part) / Number(whole)),
          ).toBeLessThanOrEqual(0.00005);
        },
      ),
    );
  });
});

describe('overviewSeries', () => {
  it('adds the folded and tail parts of a day, and groups outcomes per day across assets', () => {
    const totals = mergeTotals([
      { day: '2026-12-01', metric: 'transfer_volume', asset: 'USD', count: 2n, amount_minor: 1_000n },
      { day: '2026-12-01', metric: 'transfer_volume', asset: 'USD', count: 1n, amount_minor: 234n },
      { day: '2026-11-30', metric: 'payment_failed', asset: 'EUR', count: 1n, amount_minor: 5n },
      { day: '2026-11-30', metric: 'payment_succeeded', asset: 'USD', count: 3n, amount_minor: 9n },
      { day: '2026-11-30', metric: 'payment_succeeded', asset: 'EUR', count: 6n, amount_minor: 9n },
    ]);
    const series = overviewSeries(
      totals,
      new Map([
        ['USD', 2],
        ['EUR', 2],
      ]),
    );
    expect(series).toEqual({
      volume: [{ date: '2026-12-01', currency: 'USD', count: 3, amount: '12.34' }],
      payments: [{ date: '2026-11-30', succeeded: 9, failed: 1 }],
      payouts: [],
      failure_rates: { payments: '0.1000', payouts: '0.0000' },
    });
  });
});
