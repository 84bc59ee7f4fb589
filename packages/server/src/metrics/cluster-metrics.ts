import { Counter, Gauge, type Registry } from 'prom-client';
import type { Pool } from '../db/pool.js';
import { type EventCount, money_objects } from '../events/counters.js';
import type { Clock } from '../shared/clock.js';
import { type Backlog, type ClusterFacts, readClusterFacts } from './cluster-facts.js';

/**
 * How long one read of the database's figures serves scrapes, by the app's clock: N processes
 * scraped every 15 s cost N reads per 15 s, however many scrapers ask.
 */
const facts_ttl_ms = 5_000;

/** Events that say a rail (or the card network) refused or sent back money. */
const rail_failure_types = new Set(['payout.failed', 'payout.returned', 'payment.failed', 'refund.failed']);

/**
 * The figures every process reads alike from PostgreSQL: money movements by status and currency
 * (counted once per committed event by the sequencer, migration 0034), rail failure codes, and
 * the worker's backlogs. Each process reports the same values, so dashboards and alert rules take
 * `max` across instances (docs/ops/). When the database cannot be read, the counters keep their
 * last values and `purse_cluster_metrics_up` is 0.
 */
export function registerClusterMetrics(registry: Registry, pool: Pool, clock: Clock): void {
  const read = cachedRead(pool, clock);
  new Gauge({
    name: 'purse_cluster_metrics_up',
    help: '1 when the last read of the database-wide figures succeeded, 0 when it failed.',
    registers: [registry],
    aggregator: 'min',
    async collect() {
      this.set((await read()).ok ? 1 : 0);
    },
  });
  eventCounters(registry, async () => (await read()).facts);
  backlogGauges(registry, async () => (await read()).facts?.backlog);
}

interface Read {
  /** The last figures read successfully, if any. */
  readonly facts: ClusterFacts | undefined;
  /** Whether the latest read succeeded. */
  readonly ok: boolean;
}

/** One read per `facts_ttl_ms`, shared by every metric collected in between. */
function cachedRead(pool: Pool, clock: Clock): () => Promise<Read> {
  let last_good: ClusterFacts | undefined;
  let read: { at_ms: number; result: Promise<Read> } | undefined;
  return () => {
    const now_ms = clock.now().getTime();
    if (read === undefined || now_ms - read.at_ms >= facts_ttl_ms) {
      const result = readClusterFacts(pool, clock.now()).then(
        (facts): Read => {
          last_good = facts;
          return { facts, ok: true };
        },
        (): Read => ({ facts: last_good, ok: false }),
      );
      read = { at_ms: now_ms, result };
    }
    return read.result;
  };
}

function eventCounters(registry: Registry, facts: () => Promise<ClusterFacts | undefined>): void {
  const counter = (
    name: string,
    help: string,
    labelNames: string[],
    rows: (counts: readonly EventCount[]) => [Record<string, string>, number][],
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      // Every process reports the same totals: combined, they count once (cluster-aggregate.ts).
      aggregator: 'max',
      async collect() {
        const read = await facts();
        if (read === undefined) return;
        this.reset();
        for (const [labels, value] of rows(read.event_counts)) this.inc(labels, value);
      },
    });
  for (const object of money_objects) {
    const rail = object === 'payout' ? ['rail'] : [];
    counter(
      `purse_${object}s_total`,
      `${object[0]?.toUpperCase()}${object.slice(1)}s by the status their events reported (an object counts once in each status it reached), mode and currency.`,
      ['mode', 'status', 'currency', ...rail],
      (counts) =>
        counts
          .filter((row) => row.type.startsWith(`${object}.`))
          .map((row) => [
            {
              mode: modeOf(row),
              status: row.type.slice(object.length + 1),
              currency: row.currency,
              ...(object === 'payout' ? { rail: row.rail } : {}),
            },
            Number(row.count),
          ]),
    );
  }
  counter(
    'purse_rail_failures_total',
    'Money a rail refused or sent back, by object, status (failed, returned), rail and failure code.',
    ['mode', 'object', 'status', 'rail', 'code'],
    (counts) =>
      counts
        .filter((row) => rail_failure_types.has(row.type))
        .map((row) => {
          const [object = '', status = ''] = row.type.split('.');
          return [
            { mode: modeOf(row), object, status, rail: row.rail, code: row.failure_code },
            Number(row.count),
          ];
        }),
  );
  counter(
    'purse_events_total',
    'Events committed (and sequenced), by mode and type.',
    ['mode', 'type'],
    (counts) =>
      sumBy(counts, (row) => `${modeOf(row)}\u0000${row.type}`).map(([key, value]) => {
        const [mode = '', type = ''] = key.split('\u0000');
        return [{ mode, type }, value];
      }),
  );
}

function backlogGauges(registry: Registry, backlog: () => Promise<Backlog | undefined>): void {
  const gauge = (name: string, help: string, figure: keyof Backlog) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      aggregator: 'max',
      async collect() {
        const read = await backlog();
        if (read !== undefined) this.set(read[figure]);
      },
    });
  gauge(
    'purse_webhook_deliveries_due',
    'Webhook deliveries due now and not yet sent (capped at 100000).',
    'webhook_deliveries_due',
  );
  gauge(
    'purse_webhook_oldest_due_seconds',
    'How long the oldest due webhook delivery has waited past its time.',
    'webhook_oldest_due_s',
  );
  gauge('purse_jobs_due', 'Queued jobs due now and not yet run (capped at 100000).', 'jobs_due');
  gauge('purse_job_lag_seconds', 'How long the oldest due job has waited past its time.', 'job_lag_s');
  gauge(
    'purse_audit_unsealed_entries',
    'Audit entries not yet sealed into the hash chain (capped at 100000).',
    'audit_unsealed',
  );
  gauge(
    'purse_audit_sealing_lag_seconds',
    'Age of the oldest audit entry not yet sealed into the hash chain.',
    'audit_sealing_lag_s',
  );
  gauge(
    'purse_events_unsequenced',
    'Committed events not yet given their stream position (capped at 100000).',
    'events_unsequenced',
  );
  gauge(
    'purse_event_sequencing_lag_seconds',
    'Age of the oldest event not yet given its stream position: webhooks and streams wait for it.',
    'event_sequencing_lag_s',
  );
}

function modeOf(row: EventCount): string {
  return row.livemode ? 'live' : 'test';
}

/** Sums counts sharing a key (the same type with different currencies, say). */
function sumBy(counts: readonly EventCount[], key: (row: EventCount) => string): [string, number][] {
  const sums = new Map<string, number>();
  for (const row of counts) sums.set(key(row), (sums.get(key(row)) ?? 0) + Number(row.count));
  return [...sums];
}
