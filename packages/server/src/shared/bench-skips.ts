/**
 * Parts of the write path `npm run bench` switches off, one at a time, so that the CPU each costs a
 * transfer stays visible and a regression has an owner (bench/README.md). Set once at start from
 * PURSE_BENCH_SKIP; never in production: without events no webhook, stream or report hears of a
 * change; without audit entries requests leave no trail; without risk screening no rule applies.
 */
export const bench_skip_parts = ['events', 'audit', 'risk'] as const;
export type BenchSkip = (typeof bench_skip_parts)[number];

const skipped = new Set<BenchSkip>();

export function skipForBench(parts: readonly BenchSkip[]): void {
  skipped.clear();
  for (const part of parts) skipped.add(part);
}

export function skippedForBench(part: BenchSkip): boolean {
  return skipped.has(part);
}
