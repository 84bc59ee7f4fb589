import type { Static } from '@sinclair/typebox';
import { assert } from '../shared/assert.js';
import { formatAmount } from '../shared/money.js';
import type { OverviewMetric } from './overview-facts.js';
import type { Overview } from './overview-schemas.js';

/** One day's total of one metric in one asset, from the rollups or the un-folded tail. */
export interface DayTotal {
  readonly day: string;
  readonly metric: OverviewMetric;
  readonly asset: string;
  readonly count: bigint;
  readonly amount_minor: bigint;
}

type Body = Static<typeof Overview>;
type Series = Pick<Body, 'volume' | 'payments' | 'payouts' | 'failure_rates'>;

/** Adds up totals of the same day, metric and asset (a folded part and a tail part). */
export function mergeTotals(parts: readonly DayTotal[]): DayTotal[] {
  const merged = new Map<string, DayTotal>();
  for (const part of parts) {
    const key = `${part.day} ${part.metric} ${part.asset}`;
    const known = merged.get(key);
    merged.set(
      key,
      known === undefined
        ? part
        : { ...known, count: known.count + part.count, amount_minor: known.amount_minor + part.amount_minor },
    );
  }
  return [...merged.values()].sort((a, b) => a.day.localeCompare(b.day) || a.asset.localeCompare(b.asset));
}

/** The overview's series from merged totals; `scales` holds every asset the totals name. */
export function overviewSeries(totals: readonly DayTotal[], scales: ReadonlyMap<string, number>): Series {
  const volume = totals
    .filter((total) => total.metric === 'transfer_volume')
    .map((total) => {
      const scale = scales.get(total.asset);
      assert(scale !== undefined, `no scale for ${total.asset}`);
      return {
        date: total.day,
        currency: total.asset,
        count: countOf(total.count),
        amount: formatAmount(total.amount_minor, scale),
      };
    });
  const payments = perDay(totals, 'payment_succeeded', 'payment_failed');
  const payouts = perDay(totals, 'payout_paid', 'payout_failed');
  return {
    volume,
    payments: payments.map(({ date, ok, failed }) => ({ date, succeeded: ok, failed })),
    payouts: payouts.map(({ date, ok, failed }) => ({ date, paid: ok, failed })),
    failure_rates: { payments: failureRate(payments), payouts: failureRate(payouts) },
  };
}

interface DayOutcomes {
  date: string;
  ok: number;
  failed: number;
}

/** Counts of two outcomes per day, every asset together; days with neither are absent. */
function perDay(totals: readonly DayTotal[], ok: OverviewMetric, failed: OverviewMetric): DayOutcomes[] {
  const days = new Map<string, DayOutcomes>();
  for (const total of totals) {
    if (total.metric !== ok && total.metric !== failed) continue;
    const day = days.get(total.day) ?? { date: total.day, ok: 0, failed: 0 };
    if (total.metric === ok) day.ok += countOf(total.count);
    else day.failed += countOf(total.count);
    days.set(total.day, day);
  }
  return [...days.values()];
}

function failureRate(days: readonly DayOutcomes[]): string {
  const failed = days.reduce((sum, day) => sum + BigInt(day.failed), 0n);
  const all = days.reduce((sum, day) => sum + BigInt(day.ok + day.failed), 0n);
  return rateOf(failed, all);
}

/** `part / whole` with 4 decimals, rounded half up; "0.0000" when `whole` is zero. */
export function rateOf(part: bigint, whole: bigint): string {
  assert(part >= 0n && part <= whole, `rate of ${part} in ${whole}`);
  if (whole === 0n) return '0.0000';
  const basis_points = (part * 20_000n + whole) / (2n * whole);
  return formatAmount(basis_points, 4);
}

function countOf(count: bigint): number {
  assert(count >= 0n && count <= BigInt(Number.MAX_SAFE_INTEGER), `count ${count} out of range`);
  return Number(count);
}
