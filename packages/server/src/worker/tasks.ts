import type { Config } from '../config.js';
import { inTransaction } from '../db/pool.js';
import { DeliveryRunner } from '../events/delivery-runner.js';
import { sequenceEvents } from '../events/sequencer.js';
import { purgeExpiredKeys } from '../http/idempotency-store.js';
import { type Clock, systemClock } from '../shared/clock.js';
import { expireHolds } from '../transfers/service.js';
import type { PeriodicTask, WorkerDeps } from './scheduler.js';

const expired_holds_per_round_max = 500;

/** Every background task Purse runs, in `purse serve` and in `purse worker`. */
export function backgroundTasks(
  config: Config,
  deps: { clock?: Clock; log: WorkerDeps['log'] },
): PeriodicTask[] {
  const clock = deps.clock ?? systemClock;
  let runner: DeliveryRunner | undefined;
  return [
    {
      name: 'purge_idempotency_keys',
      interval_ms: 60_000,
      run: (pool, now) => purgeExpiredKeys(pool, config.limits.idempotency_retention_s, now),
    },
    {
      name: 'expire_holds',
      interval_ms: config.limits.worker_tick_ms,
      run: (pool, now) =>
        inTransaction(pool, (client) => expireHolds(client, now, expired_holds_per_round_max)),
    },
    {
      // Exclusive by its own advisory lock (see sequencer.ts), which it holds until it commits.
      name: 'sequence_events',
      interval_ms: config.events.sequence_interval_ms,
      exclusive: false,
      run: (pool, now) => sequenceEvents(pool, config.events.sequence_batch_max, now),
    },
    {
      name: 'deliver_webhooks',
      interval_ms: config.webhooks.poll_ms,
      exclusive: false,
      run: (pool) => {
        runner ??= new DeliveryRunner({ pool, clock, config: config.webhooks, log: deps.log });
        return runner.poll();
      },
      stop: async () => runner?.stop(),
    },
  ];
}
