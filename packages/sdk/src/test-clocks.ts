import { ApiError, clientError } from './errors.js';
import type { components } from './generated/openapi.js';
import type { ResourceOf } from './operation.js';
import { type RequestOptions, sleep } from './request.js';
import type { resources } from './resources.js';

export type TestClock = components['schemas']['TestClock'];

export interface AdvanceAndWaitOptions {
  /** For the advance (a POST); generated when absent, as for any POST. */
  readonly idempotency_key?: RequestOptions['idempotency_key'];
  /** Stops the advance's request or the waiting after it. */
  readonly signal?: RequestOptions['signal'];
  /** The whole wait, from the call until the clock is ready (default 60 s); checked between polls. */
  readonly timeout_ms?: number | undefined;
  /** Between two reads of the clock (default 200 ms). */
  readonly poll_interval_ms?: number | undefined;
}

const default_timeout_ms = 60_000;
const default_poll_interval_ms = 200;

/**
 * Advances a test clock to `frozen_time` and polls it until it is `ready`: the server answers
 * `advancing` at once and runs the renewals and retries that fall due afterwards. Returns the
 * ready clock, or throws an `ApiError` with code `timeout` when it is still advancing after
 * `timeout_ms` (the advance goes on on the server).
 */
export async function advanceAndWait(
  clocks: ResourceOf<typeof resources.test_clocks>,
  id: string,
  frozen_time: string,
  options: AdvanceAndWaitOptions = {},
): Promise<TestClock> {
  const timeout_ms = options.timeout_ms ?? default_timeout_ms;
  const poll_interval_ms = options.poll_interval_ms ?? default_poll_interval_ms;
  if (!(timeout_ms > 0)) throw new RangeError('timeout_ms must be > 0');
  if (!(poll_interval_ms > 0)) throw new RangeError('poll_interval_ms must be > 0');
  const deadline_ms = Date.now() + timeout_ms;
  const { signal } = options;
  let clock = await clocks.advance(id, { frozen_time }, { idempotency_key: options.idempotency_key, signal });
  while (clock.status !== 'ready') {
    const left_ms = deadline_ms - Date.now();
    if (left_ms <= 0)
      throw clientError(
        ApiError,
        'timeout',
        'The test clock did not get ready in time',
        `Test clock ${id} was still advancing to ${frozen_time} after ${timeout_ms} ms`,
      );
    await sleep(Math.min(poll_interval_ms, left_ms), signal);
    clock = await clocks.retrieve(id, { signal });
  }
  return clock;
}
