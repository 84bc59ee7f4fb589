import type { Config } from '../config.js';
import { purgeExpiredKeys } from '../http/idempotency-store.js';
import type { PeriodicTask } from './scheduler.js';

/** Every background task Purse runs, in `purse serve` and in `purse worker`. */
export function backgroundTasks(config: Config): PeriodicTask[] {
  return [
    {
      name: 'purge_idempotency_keys',
      interval_ms: 60_000,
      run: (pool, now) => purgeExpiredKeys(pool, config.limits.idempotency_retention_s, now),
    },
  ];
}
