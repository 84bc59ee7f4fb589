import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReadRouter } from '../db/replica.js';

/** Where this process's heavy reads went, and how stale the replica is proven to be at most. */
export function registerReplicaMetrics(registry: Registry, reads: ReadRouter): void {
  new Counter({
    name: 'purse_db_reads_total',
    help: 'Heavy reads (reports, search, statements, audit trail) answered by the replica and by the primary.',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      // The router counts; the counter shows its totals.
      const stats = reads.stats();
      this.reset();
      this.inc({ pool: 'replica' }, stats.replica_reads);
      this.inc({ pool: 'primary' }, stats.primary_reads);
    },
  });
  new Gauge({
    name: 'purse_db_replica_lag_seconds',
    help: 'How far behind the primary the replica is proven to be at most; absent: not usable.',
    registers: [registry],
    aggregator: 'max',
    collect() {
      const lag_ms = reads.stats().lag_ms;
      if (lag_ms === undefined) this.reset();
      else this.set(lag_ms / 1000);
    },
  });
}
