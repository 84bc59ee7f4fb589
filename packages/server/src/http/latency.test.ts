import { describe, expect, it } from 'vitest';
import { type Bucket, estimateQuantile } from './latency.js';

const inf = Number.POSITIVE_INFINITY;

describe('estimateQuantile', () => {
  it('interpolates inside the bucket the rank falls in, as histogram_quantile does', () => {
    const buckets: Bucket[] = [
      { le_s: 0.001, count: 0 },
      { le_s: 0.005, count: 50 },
      { le_s: 0.01, count: 90 },
      { le_s: 0.1, count: 100 },
      { le_s: inf, count: 100 },
    ];
    expect(estimateQuantile(buckets, 0.5)).toBeCloseTo(0.005);
    expect(estimateQuantile(buckets, 0.25)).toBeCloseTo(0.003);
    expect(estimateQuantile(buckets, 0.99)).toBeCloseTo(0.091);
  });

  it('starts the first bucket at zero and stops at the largest finite bound', () => {
    expect(
      estimateQuantile(
        [
          { le_s: 0.01, count: 4 },
          { le_s: inf, count: 4 },
        ],
        0.5,
      ),
    ).toBeCloseTo(0.005);
    const slow = [
      { le_s: 1, count: 1 },
      { le_s: 2.5, count: 1 },
      { le_s: inf, count: 10 },
    ];
    expect(estimateQuantile(slow, 0.99)).toBe(2.5);
  });

  it('is null before any request', () => {
    expect(estimateQuantile([], 0.5)).toBeNull();
    expect(
      estimateQuantile(
        [
          { le_s: 0.01, count: 0 },
          { le_s: inf, count: 0 },
        ],
        0.99,
      ),
    ).toBeNull();
  });
});
