/** When `purse serve --processes` restarts a child that exited unasked, and when it stops trying. */
export interface RestartPolicy {
  /** The wait before the first restart; each crash in a row doubles it, up to `delay_ms_max`. */
  readonly delay_ms_min: number;
  readonly delay_ms_max: number;
  /** Restarts in a row without a stable run; one more crash and the primary stops, exiting 1. */
  readonly restarts_max: number;
  /** A child that served this long since it was ready crashed on its own: its count starts again. */
  readonly stable_ms: number;
  /** A child not ready this long after its fork is killed, and counts as a crash. */
  readonly start_ms_max: number;
}

/**
 * A child crashing at start-up (a port taken, a database refusing it) crashes again at once: four
 * starts with 3.5 s of waits between them and the primary gives up and exits 1, so systemd (whose
 * own restart then waits `RestartSec`) or a person sees the failure. A child that served half a
 * minute before it crashed is restarted, however often that happens.
 */
export const restart_policy: RestartPolicy = {
  delay_ms_min: 500,
  delay_ms_max: 10_000,
  restarts_max: 3,
  stable_ms: 30_000,
  start_ms_max: 120_000,
};

export type AfterCrash =
  | { readonly kind: 'restart'; readonly delay_ms: number; readonly crashes: number }
  | { readonly kind: 'give_up'; readonly crashes: number };

/**
 * What to do when a child exits unasked. `crashes_before`: its slot's crashes in a row so far;
 * `ready_for_ms`: how long the child served after it was ready, undefined if it never was.
 */
export function afterCrash(
  crashes_before: number,
  ready_for_ms: number | undefined,
  policy: RestartPolicy,
): AfterCrash {
  if (!Number.isSafeInteger(crashes_before) || crashes_before < 0)
    throw new Error(`crashes_before must be a count, got ${crashes_before}`);
  const stable = ready_for_ms !== undefined && ready_for_ms >= policy.stable_ms;
  const crashes = stable ? 1 : crashes_before + 1;
  if (crashes > policy.restarts_max) return { kind: 'give_up', crashes };
  const delay_ms = Math.min(policy.delay_ms_max, policy.delay_ms_min * 2 ** (crashes - 1));
  return { kind: 'restart', delay_ms, crashes };
}
