import type { Histogram } from 'prom-client';
import { assert } from '../shared/assert.js';

/** One cumulative bucket of a histogram: how many observations were at most `le_s` seconds. */
export interface Bucket {
  readonly le_s: number;
  readonly count: number;
}

export interface LatencyQuantiles {
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
}

/** Reads the API's request latency quantiles now (GET /v1/reports/overview shows them). */
export type LatencyReader = () => Promise<LatencyQuantiles>;

/**
 * The `q` quantile of cumulative buckets (sorted by bound, the last one +Inf), in seconds, as
 * Prometheus's histogram_quantile estimates it: linear inside the bucket the rank falls in, from
 * 0 for the first bucket; a rank in the +Inf bucket answers the largest finite bound. Null when
 * the histogram is empty.
 */
export function estimateQuantile(buckets: readonly Bucket[], q: number): number | null {
  assert(q >= 0 && q <= 1, `quantile ${q} outside [0, 1]`);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = { le_s: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.count >= rank && bucket.count > 0) {
      if (!Number.isFinite(bucket.le_s)) return lower.le_s;
      const inside = bucket.count - lower.count;
      const fraction = inside === 0 ? 1 : (rank - lower.count) / inside;
      return lower.le_s + (bucket.le_s - lower.le_s) * fraction;
    }
    lower = bucket;
  }
  return lower.le_s;
}

/** The buckets of every /v1 route of `histogram` added together, by bound. */
export async function apiBuckets(histogram: Histogram): Promise<Bucket[]> {
  const by_bound = new Map<number, number>();
  for (const value of (await histogram.get()).values) {
    if (value.metricName?.endsWith('_bucket') !== true) continue;
    const route = String(value.labels.route ?? '');
    if (!route.startsWith('/v1/')) continue;
    const bound = value.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(value.labels.le);
    by_bound.set(bound, (by_bound.get(bound) ?? 0) + value.value);
  }
  return [...by_bound.entries()].sort(([a], [b]) => a - b).map(([le_s, count]) => ({ le_s, count }));
}

/** p50 and p99 of the API's requests so far, in milliseconds rounded to 0.1. */
export function latencyReader(histogram: Histogram): LatencyReader {
  const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 10_000) / 10);
  return async () => {
    const buckets = await apiBuckets(histogram);
    return { p50_ms: ms(estimateQuantile(buckets, 0.5)), p99_ms: ms(estimateQuantile(buckets, 0.99)) };
  };
}
