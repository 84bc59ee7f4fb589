/** Jitter spreads retries of many deliveries that failed together (an outage) over ±20% of the delay. */
const jitter_fraction = 0.2;

/**
 * The wait after failed attempt number `attempt` (1-based): the schedule's entry for it, jittered;
 * undefined once the schedule is exhausted (give up).
 */
export function retryDelayMs(
  schedule_s: readonly number[],
  attempt: number,
  random: () => number = Math.random,
): number | undefined {
  const delay_s = schedule_s[attempt - 1];
  if (delay_s === undefined) return undefined;
  return Math.round(delay_s * 1000 * (1 - jitter_fraction + 2 * jitter_fraction * random()));
}
