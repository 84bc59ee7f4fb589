import { assert } from '../../shared/assert.js';

export type Interval = 'day' | 'week' | 'month' | 'year';

export const day_ms = 86_400_000;
const interval_ms: Readonly<Record<'day' | 'week', number>> = { day: day_ms, week: 7 * day_ms };
const interval_months: Readonly<Record<'month' | 'year', number>> = { month: 1, year: 12 };

/**
 * `date` moved by whole calendar months in UTC, keeping its time of day; a day the target month
 * lacks becomes that month's last day (Jan 31 + 1 month is Feb 28, or Feb 29 in a leap year).
 * Callers add months to the anchor, never to the previous result: Jan 31 -> Feb 28 -> Mar 28
 * would lose the 31st for good.
 */
export function addMonthsClamped(date: Date, months: number): Date {
  assert(Number.isSafeInteger(months), `adding ${months} months`);
  assert(Number.isFinite(date.getTime()), 'adding months to an invalid date');
  const month_index = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(month_index / 12);
  const month = month_index - year * 12;
  const day = Math.min(date.getUTCDate(), daysInMonth(year, month));
  // setUTCFullYear rather than Date.UTC, which reads years 0 to 99 as 1900 to 1999.
  const result = new Date(date.getTime());
  result.setUTCFullYear(year, month, day);
  assert(Number.isFinite(result.getTime()), `${months} months from ${date.getTime()} is out of range`);
  return result;
}

/** Days in `month` (0 = January) of `year`, by the Gregorian rule. */
export function daysInMonth(year: number, month: number): number {
  const result = new Date(0);
  result.setUTCFullYear(year, month + 1, 0);
  return result.getUTCDate();
}

/**
 * The end of the n-th period counted from `anchor` (period end 0 is the anchor itself). Days and
 * weeks are exact multiples of 86_400_000 ms (UTC has no daylight saving); months and years are
 * counted from the anchor with `addMonthsClamped`, so an anchor on the 31st bills on the 31st
 * whenever the month has one.
 */
export function periodEnd(anchor: Date, interval: Interval, interval_count: number, n: number): Date {
  assert(Number.isSafeInteger(interval_count) && interval_count >= 1, `interval_count ${interval_count}`);
  assert(Number.isSafeInteger(n) && n >= 0, `period ${n}`);
  if (interval === 'day' || interval === 'week') {
    const end_ms = anchor.getTime() + n * interval_count * interval_ms[interval];
    assert(Number.isSafeInteger(end_ms), `period ${n} ends out of range`);
    const end = new Date(end_ms);
    assert(Number.isFinite(end.getTime()), `period ${n} ends out of range`);
    return end;
  }
  return addMonthsClamped(anchor, n * interval_count * interval_months[interval]);
}

/**
 * The index n of the first period end strictly after `after` (0 when `after` is before the
 * anchor). It estimates n by division, exact for days and weeks and at most one short for months
 * (see `estimatePeriods`), then checks both neighbours, so a date centuries away costs the same
 * as tomorrow.
 */
export function nextPeriodIndex(
  anchor: Date,
  interval: Interval,
  interval_count: number,
  after: Date,
): number {
  assert(Number.isFinite(after.getTime()), 'next period end after an invalid date');
  if (after.getTime() < anchor.getTime()) return 0;
  const end = (n: number) => periodEnd(anchor, interval, interval_count, n).getTime();
  let n = estimatePeriods(anchor, interval, interval_count, after);
  const adjust_steps_max = 2;
  for (let step = 0; step < adjust_steps_max && n > 0 && end(n - 1) > after.getTime(); step += 1) n -= 1;
  for (let step = 0; step < adjust_steps_max && end(n) <= after.getTime(); step += 1) n += 1;
  assert(end(n) > after.getTime() && (n === 0 || end(n - 1) <= after.getTime()), 'period estimate was off');
  return n;
}

/** The first period end strictly after `after`; the anchor itself when `after` precedes it. */
export function nextPeriodEnd(anchor: Date, interval: Interval, interval_count: number, after: Date): Date {
  return periodEnd(
    anchor,
    interval,
    interval_count,
    nextPeriodIndex(anchor, interval, interval_count, after),
  );
}

/**
 * For days and weeks, exactly the number of whole periods from `anchor` to `after`, plus one. For
 * months: with k calendar months between their months, period end m = floor(k / length) falls in
 * a month no later than after's and period end m - 1 in an earlier month, so it is before
 * `after`, while period end m + 1 falls in a later month. The answer is m or m + 1.
 */
function estimatePeriods(anchor: Date, interval: Interval, interval_count: number, after: Date): number {
  if (interval === 'day' || interval === 'week') {
    const period_ms = interval_count * interval_ms[interval];
    return Math.floor((after.getTime() - anchor.getTime()) / period_ms) + 1;
  }
  const months = (date: Date) => date.getUTCFullYear() * 12 + date.getUTCMonth();
  return Math.floor((months(after) - months(anchor)) / (interval_count * interval_months[interval]));
}
