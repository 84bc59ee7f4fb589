import type { Queryable } from '../db/pool.js';
import { type EventCount, readEventCounts } from '../events/counters.js';

/** A backlog counted past this many rows reads as this many: a scrape must stay cheap however far behind the worker is. */
export const backlog_count_max = 100_000;

/** What every process sharing the database sees alike: read from PostgreSQL, not kept in memory. */
export interface ClusterFacts {
  readonly event_counts: readonly EventCount[];
  readonly backlog: Backlog;
}

/** Work waiting for the worker: how much (capped at `backlog_count_max`) and how late the oldest is. */
export interface Backlog {
  readonly webhook_deliveries_due: number;
  readonly webhook_oldest_due_s: number;
  readonly jobs_due: number;
  readonly job_lag_s: number;
  readonly audit_unsealed: number;
  readonly audit_sealing_lag_s: number;
  readonly events_unsequenced: number;
  readonly event_sequencing_lag_s: number;
}

/**
 * Each figure is one probe of a partial index whose rows are exactly the waiting work (due
 * deliveries, open jobs, unsealed audit entries, unsequenced events), so its cost follows the
 * backlog, never the tables' size. The ages are measured from `now`, the app's clock.
 */
const backlog_sql = `SELECT
  (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries
     WHERE status = 'pending' AND next_attempt_at <= $1 LIMIT $2) d)::int AS webhook_deliveries_due,
  (SELECT extract(epoch FROM $1 - min(next_attempt_at)) FROM webhook_deliveries
     WHERE status = 'pending' AND next_attempt_at <= $1)::float8 AS webhook_oldest_due_s,
  (SELECT count(*) FROM (SELECT 1 FROM jobs WHERE done_at IS NULL AND run_at <= $1 LIMIT $2) j)::int AS jobs_due,
  (SELECT extract(epoch FROM $1 - min(run_at)) FROM jobs
     WHERE done_at IS NULL AND run_at <= $1)::float8 AS job_lag_s,
  (SELECT count(*) FROM (SELECT 1 FROM audit_logs WHERE seq IS NULL LIMIT $2) a)::int AS audit_unsealed,
  (SELECT extract(epoch FROM $1 - min(created_at)) FROM audit_logs WHERE seq IS NULL)::float8 AS audit_sealing_lag_s,
  (SELECT count(*) FROM (SELECT 1 FROM events WHERE position IS NULL LIMIT $2) e)::int AS events_unsequenced,
  (SELECT extract(epoch FROM $1 - created_at) FROM events
     WHERE position IS NULL ORDER BY seq LIMIT 1)::float8 AS event_sequencing_lag_s`;

type BacklogRow = { [K in keyof Backlog]: number | null };

export async function readClusterFacts(db: Queryable, now: Date): Promise<ClusterFacts> {
  const [event_counts, backlog] = await Promise.all([
    readEventCounts(db),
    db.query<BacklogRow>(backlog_sql, [now, backlog_count_max]),
  ]);
  const row = backlog.rows[0];
  if (row === undefined) throw new Error('the backlog query returned no row');
  // No waiting work has no age: 0, and never below it (a clock a little behind the database's).
  const figure = (value: number | null) => Math.max(0, value ?? 0);
  return {
    event_counts,
    backlog: {
      webhook_deliveries_due: figure(row.webhook_deliveries_due),
      webhook_oldest_due_s: figure(row.webhook_oldest_due_s),
      jobs_due: figure(row.jobs_due),
      job_lag_s: figure(row.job_lag_s),
      audit_unsealed: figure(row.audit_unsealed),
      audit_sealing_lag_s: figure(row.audit_sealing_lag_s),
      events_unsequenced: figure(row.events_unsequenced),
      event_sequencing_lag_s: figure(row.event_sequencing_lag_s),
    },
  };
}
