import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonthsClamped, day_ms, type Interval, nextPeriodEnd, periodEnd } from './periods.js';

const at = (text: string) => new Date(text);
const iso = (date: Date) => date.toISOString();

/** The reference calendar: days per month written out, with the Gregorian leap year rule. */
function referenceDaysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month] as number;
}

/** The reference for months: step one month at a time from the anchor, then clamp the anchor's day. */
function referenceMonthEnd(anchor: Date, months: number): string {
  let year = anchor.getUTCFullYear();
  let month = anchor.getUTCMonth();
  for (let step = 0; step < months; step += 1) {
    month += 1;
    if (month === 12) [year, month] = [year + 1, 0];
  }
  const day = Math.min(anchor.getUTCDate(), referenceDaysInMonth(year, month));
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(year, 4)}-${pad(month + 1)}-${pad(day)}T${iso(anchor).slice(11)}`;
}

const anchor_ms_max = Date.UTC(2200, 0, 1);
const anchorDate = fc
  .oneof(
    fc.integer({ min: 0, max: anchor_ms_max }),
    // Month ends, where clamping happens: the 28th to the 31st of some month.
    fc
      .tuple(
        fc.integer({ min: 1970, max: 2199 }),
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: 28, max: 31 }),
      )
      .map(([year, month, day]) =>
        Date.UTC(year, month, Math.min(day, referenceDaysInMonth(year, month)), 7, 5, 3, 9),
      ),
  )
  .map((ms) => new Date(ms));
const period_days: Readonly<Record<Interval, readonly [number, number]>> = {
  day: [1, 1],
  week: [7, 7],
  month: [28, 31],
  year: [365, 366],
};
const interval = fc.constantFrom<Interval>('day', 'week', 'month', 'year');
const count = fc.integer({ min: 1, max: 3 });

describe('billing periods', () => {
  it('a month-end anchor clamps to shorter months and returns to the 31st, keeping its time of day', () => {
    const anchor = at('2024-01-31T10:20:30.456Z');
    const ends = [1, 2, 3, 4, 12, 13].map((n) => iso(periodEnd(anchor, 'month', 1, n)));
    expect(ends).toEqual([
      '2024-02-29T10:20:30.456Z', // leap year
      '2024-03-31T10:20:30.456Z',
      '2024-04-30T10:20:30.456Z',
      '2024-05-31T10:20:30.456Z',
      '2025-01-31T10:20:30.456Z',
      '2025-02-28T10:20:30.456Z',
    ]);
    expect(iso(periodEnd(at('2023-01-31T00:00:00Z'), 'month', 1, 1))).toBe('2023-02-28T00:00:00.000Z');
    expect(iso(periodEnd(at('2023-11-30T00:00:00Z'), 'month', 3, 1))).toBe('2024-02-29T00:00:00.000Z');
    expect(iso(periodEnd(at('2023-11-30T00:00:00Z'), 'month', 3, 2))).toBe('2024-05-30T00:00:00.000Z');
  });

  it('a February 29 anchor bills yearly on Feb 28, and on Feb 29 in leap years (not 2100, yes 2400)', () => {
    const anchor = at('2000-02-29T12:00:00Z');
    const ends = [1, 4, 100, 400].map((n) => iso(periodEnd(anchor, 'year', 1, n)));
    expect(ends).toEqual([
      '2001-02-28T12:00:00.000Z',
      '2004-02-29T12:00:00.000Z',
      '2100-02-28T12:00:00.000Z',
      '2400-02-29T12:00:00.000Z',
    ]);
  });

  it('days are exactly 86,400,000 ms and weeks 7 days, and period end 0 is the anchor', () => {
    const anchor = at('2024-03-09T23:30:00Z');
    expect(periodEnd(anchor, 'day', 1, 1).getTime() - anchor.getTime()).toBe(86_400_000);
    expect(iso(periodEnd(anchor, 'day', 3, 2))).toBe('2024-03-15T23:30:00.000Z');
    expect(iso(periodEnd(anchor, 'week', 2, 1))).toBe('2024-03-23T23:30:00.000Z');
    for (const each of ['day', 'week', 'month', 'year'] as const)
      expect(periodEnd(anchor, each, 5, 0)).toEqual(anchor);
  });

  it('adds and subtracts months with clamping, in and before the anchor year', () => {
    expect(iso(addMonthsClamped(at('2024-03-31T01:02:03Z'), -1))).toBe('2024-02-29T01:02:03.000Z');
    expect(iso(addMonthsClamped(at('2024-01-15T00:00:00Z'), -13))).toBe('2022-12-15T00:00:00.000Z');
    expect(iso(addMonthsClamped(at('2024-12-31T00:00:00Z'), 2))).toBe('2025-02-28T00:00:00.000Z');
    expect(iso(addMonthsClamped(at('2024-05-31T00:00:00Z'), 0))).toBe('2024-05-31T00:00:00.000Z');
  });

  it('refuses a count below 1, a negative or fractional period, and fractional months', () => {
    const anchor = at('2024-01-01T00:00:00Z');
    expect(() => periodEnd(anchor, 'month', 0, 1)).toThrow(/interval_count 0/);
    expect(() => periodEnd(anchor, 'day', 1.5, 1)).toThrow(/interval_count 1.5/);
    expect(() => periodEnd(anchor, 'month', 1, -1)).toThrow(/period -1/);
    expect(() => periodEnd(anchor, 'week', 1, 0.5)).toThrow(/period 0.5/);
    expect(() => addMonthsClamped(anchor, 0.5)).toThrow(/0.5 months/);
    expect(() => periodEnd(anchor, 'year', 1, 10_000_000)).toThrow(/out of range/);
  });

  it('the next period end is strictly after the given instant', () => {
    const anchor = at('2024-01-31T10:00:00Z');
    const next = (after: string) => iso(nextPeriodEnd(anchor, 'month', 1, at(after)));
    expect(next('2023-06-01T00:00:00Z')).toBe('2024-01-31T10:00:00.000Z'); // before the anchor: the anchor
    expect(next('2024-01-31T10:00:00Z')).toBe('2024-02-29T10:00:00.000Z'); // the anchor itself: the first end
    expect(next('2024-02-29T09:59:59.999Z')).toBe('2024-02-29T10:00:00.000Z');
    expect(next('2024-02-29T10:00:00Z')).toBe('2024-03-31T10:00:00.000Z'); // on an end: the one after
    expect(next('2024-03-30T10:00:00Z')).toBe('2024-03-31T10:00:00.000Z');
    expect(iso(nextPeriodEnd(anchor, 'day', 7, at('2024-02-07T10:00:00Z')))).toBe('2024-02-14T10:00:00.000Z');
  });

  it('finds far period ends at once, without walking every period', () => {
    const anchor = at('1970-01-31T00:00:00.001Z');
    expect(iso(nextPeriodEnd(anchor, 'day', 1, at('9999-12-31T23:59:59.999Z')))).toBe(
      '+010000-01-01T00:00:00.001Z',
    );
    expect(iso(nextPeriodEnd(anchor, 'month', 1, at('9999-12-31T00:00:00Z')))).toBe(
      '9999-12-31T00:00:00.001Z',
    );
    expect(iso(nextPeriodEnd(anchor, 'year', 1, at('9999-02-01T00:00:00Z')))).toBe(
      '+010000-01-31T00:00:00.001Z',
    );
    // A thousand look-ups 8,000 years out take milliseconds; walking period by period would be
    // billions of steps. The bound is loose so a busy machine does not fail it.
    const started_ms = performance.now();
    for (let k = 0; k < 1_000; k += 1) {
      const after = at('9999-06-15T00:00:00Z');
      after.setUTCMinutes(k);
      for (const each of ['day', 'month'] as const) nextPeriodEnd(anchor, each, 1, after);
    }
    expect(performance.now() - started_ms).toBeLessThan(1_000);
  });

  it('month and year ends equal stepping through the calendar one month at a time', () => {
    fc.assert(
      fc.property(
        anchorDate,
        fc.constantFrom<Interval>('month', 'year'),
        count,
        fc.integer({ min: 0, max: 30 }),
        (anchor, each, interval_count, n) => {
          const months = n * interval_count * (each === 'year' ? 12 : 1);
          expect(iso(periodEnd(anchor, each, interval_count, n))).toBe(referenceMonthEnd(anchor, months));
        },
      ),
    );
  });

  it('period ends strictly increase with n, each period as long as its interval, give or take clamping', () => {
    fc.assert(
      fc.property(
        anchorDate,
        interval,
        count,
        fc.integer({ min: 0, max: 60 }),
        (anchor, each, interval_count, n) => {
          const length_ms =
            periodEnd(anchor, each, interval_count, n + 1).getTime() -
            periodEnd(anchor, each, interval_count, n).getTime();
          const [days_min, days_max] = period_days[each];
          // Clamping moves an end back by up to 3 days (the 31st to the 28th), so a period may lose or gain 3.
          const slack_days = each === 'month' ? 3 : 0;
          expect(length_ms).toBeGreaterThanOrEqual((days_min * interval_count - slack_days) * day_ms);
          expect(length_ms).toBeLessThanOrEqual((days_max * interval_count + slack_days) * day_ms);
          expect(length_ms).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('the next period end after any instant is the smallest period end after it', () => {
    const case_ = fc.tuple(anchorDate, interval, count).chain(([anchor, each, interval_count]) => {
      const near_end = fc
        .tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom(-1, 0, 1))
        .map(([k, skew_ms]) => periodEnd(anchor, each, interval_count, k).getTime() + skew_ms);
      const span_ms = 40 * interval_count * period_days[each][0] * day_ms;
      const anywhere = fc.integer({ min: anchor.getTime() - 40 * day_ms, max: anchor.getTime() + span_ms });
      return fc.tuple(
        fc.constant(anchor),
        fc.constant(each),
        fc.constant(interval_count),
        fc.oneof(near_end, anywhere),
      );
    });
    fc.assert(
      fc.property(case_, ([anchor, each, interval_count, after_ms]) => {
        let n = 0;
        const scan_max = 100;
        while (n < scan_max && periodEnd(anchor, each, interval_count, n).getTime() <= after_ms) n += 1;
        expect(n).toBeLessThan(scan_max);
        expect(nextPeriodEnd(anchor, each, interval_count, new Date(after_ms))).toEqual(
          periodEnd(anchor, each, interval_count, n),
        );
      }),
    );
  });
});
