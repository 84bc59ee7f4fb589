import { sequenceEvents } from '../events/sequencer.js';
import { systemClock } from '../shared/clock.js';
import { startWorker, type Worker } from '../worker/scheduler.js';
import type { TestApp } from './app.js';

/**
 * Runs the event sequencer every 50 ms, as `purse serve` would, for tests that follow the event
 * stream (which reads sequenced events only). Stop the returned worker in afterAll.
 */
export function startSequencer(t: TestApp): Worker {
  const sequencer = {
    name: 'sequence_events',
    interval_ms: 50,
    exclusive: false,
    run: (pool: typeof t.db.pool, now: Date) => sequenceEvents(pool, 1_000, now),
  };
  const log = { info: () => undefined, error: (obj: object) => console.error(obj) };
  return startWorker({ pool: t.db.pool, clock: systemClock, log }, [sequencer]);
}
