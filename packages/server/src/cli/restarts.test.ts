import { describe, expect, it } from 'vitest';
import { afterCrash, type RestartPolicy, restart_policy } from './restarts.js';

const policy: RestartPolicy = { ...restart_policy, delay_ms_min: 100, delay_ms_max: 1_000, restarts_max: 5 };

/** The decisions for a child that crashes `times` in a row, each time after serving `ready_for_ms`. */
function crashLoop(times: number, ready_for_ms: number | undefined) {
  const decisions = [];
  let crashes = 0;
  for (let i = 0; i < times; i += 1) {
    const next = afterCrash(crashes, ready_for_ms, policy);
    decisions.push(next);
    crashes = next.crashes;
  }
  return decisions;
}

describe('restarting a crashed child', () => {
  it('waits twice as long after each crash in a row, up to the maximum, and gives up after restarts_max', () => {
    const decisions = crashLoop(6, undefined);
    expect(
      decisions.slice(0, 5).map((next) => (next.kind === 'restart' ? next.delay_ms : next.kind)),
    ).toEqual([100, 200, 400, 800, 1_000]);
    expect(decisions[5]).toEqual({ kind: 'give_up', crashes: 6 });
  });

  it('also gives up on a child that gets ready but crashes soon after, again and again', () => {
    expect(crashLoop(6, policy.stable_ms - 1).at(-1)?.kind).toBe('give_up');
  });

  it('starts the count again for a child that served stable_ms before crashing, so it is always restarted', () => {
    const decisions = crashLoop(50, policy.stable_ms);
    expect(new Set(decisions.map((next) => JSON.stringify(next)))).toEqual(
      new Set([JSON.stringify({ kind: 'restart', delay_ms: 100, crashes: 1 })]),
    );
  });

  it('refuses a count that is not one', () => {
    expect(() => afterCrash(-1, undefined, policy)).toThrow(/crashes_before/);
    expect(() => afterCrash(1.5, undefined, policy)).toThrow(/crashes_before/);
  });

  it('gives up on a child crashing at start-up after 3.5 s of waits with the shipped policy', () => {
    let crashes = 0;
    let waited_ms = 0;
    for (;;) {
      const next = afterCrash(crashes, undefined, restart_policy);
      if (next.kind === 'give_up') break;
      waited_ms += next.delay_ms;
      crashes = next.crashes;
    }
    expect(crashes).toBe(restart_policy.restarts_max);
    expect(waited_ms).toBe(3_500);
  });
});
