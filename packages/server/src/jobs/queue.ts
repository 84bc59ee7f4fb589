import type { Span } from '@opentelemetry/api';
import type { Client, Pool, Queryable } from '../db/pool.js';
import { jobs_run } from '../metrics/process-metrics.js';
import { attr, failSpan, inSpan } from '../tracing/spans.js';

/** A step to take later: what it is, on what (the dedupe key), with what, and when. */
export interface NewJob {
  readonly kind: string;
  /** Scheduling a job whose key exists already does nothing: one job per step of one object. */
  readonly dedupe_key: string;
  readonly payload: Record<string, unknown>;
  readonly run_at: Date;
}

export interface Job {
  readonly id: string;
  readonly kind: string;
  readonly dedupe_key: string;
  readonly payload: Record<string, unknown>;
  readonly attempts: number;
}

/** Runs a job inside the worker's transaction; what it writes commits with the job's completion. */
export type JobHandler = (db: Client, job: Job, now: Date) => Promise<void>;

const retry_delay_ms_max = 3_600_000;

/** Schedules jobs inside the caller's transaction, so a step is scheduled if and only if it commits. */
export async function enqueueJobs(db: Queryable, jobs: readonly NewJob[], now: Date): Promise<void> {
  if (jobs.length === 0) return;
  await db.query(
    `INSERT INTO jobs (kind, dedupe_key, payload, run_at, created_at)
     SELECT k, d, p, r, $5 FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[]) AS j (k, d, p, r)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      jobs.map((job) => job.kind),
      jobs.map((job) => job.dedupe_key),
      jobs.map((job) => JSON.stringify(job.payload)),
      jobs.map((job) => job.run_at),
      now,
    ],
  );
}

/**
 * Claims up to `limit` due jobs with FOR UPDATE SKIP LOCKED (several workers never take one job)
 * and runs each behind a savepoint in the same transaction, marking it done there: a crash loses
 * neither the job nor its effect, and never keeps one without the other. A job that throws is
 * rolled back alone and retried later with a growing delay. Returns how many jobs completed.
 */
export async function runDueJobs(
  pool: Pool,
  handlers: ReadonlyMap<string, JobHandler>,
  now: Date,
  limit: number,
): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const due = await client.query<Job>(
      `SELECT id, kind, dedupe_key, payload, attempts FROM jobs
       WHERE done_at IS NULL AND run_at <= $1 ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    const outcomes = [];
    for (const job of due.rows) {
      const done = await tracedJob(job, (span) => runOne(client, handlers, job, now, span));
      outcomes.push({ kind: job.kind, done });
    }
    await client.query('COMMIT');
    // Counted once committed: a round that rolls back ran nothing.
    for (const { kind, done } of outcomes) jobs_run.inc({ kind, outcome: done ? 'succeeded' : 'failed' });
    return outcomes.filter((outcome) => outcome.done).length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** A job as a span `job.run`, under its worker round. */
function tracedJob(job: Job, run: (span: Span) => Promise<boolean>): Promise<boolean> {
  const attributes = {
    [attr.job_id]: job.id,
    [attr.job_kind]: job.kind,
    [attr.job_dedupe_key]: job.dedupe_key,
    [attr.job_attempt]: job.attempts + 1,
  };
  return inSpan('job.run', { attributes }, run);
}

async function runOne(
  client: Client,
  handlers: ReadonlyMap<string, JobHandler>,
  job: Job,
  now: Date,
  span: Span,
): Promise<boolean> {
  const handler = handlers.get(job.kind);
  await client.query('SAVEPOINT job');
  try {
    if (handler === undefined) throw new Error(`no handler for job kind ${job.kind}`);
    await handler(client, job, now);
    await client.query('UPDATE jobs SET done_at = $2, attempts = attempts + 1 WHERE id = $1', [job.id, now]);
    return true;
  } catch (error) {
    // Caught to be retried later, so the span is marked here: the job failed, not the round.
    failSpan(span, error);
    await client.query('ROLLBACK TO SAVEPOINT job');
    const delay_ms = Math.min(retry_delay_ms_max, 1_000 * 2 ** Math.min(job.attempts, 20));
    await client.query(
      'UPDATE jobs SET attempts = attempts + 1, last_error = $2, run_at = $3 WHERE id = $1',
      [
        job.id,
        String(error instanceof Error ? error.message : error).slice(0, 1000),
        new Date(now.getTime() + delay_ms),
      ],
    );
    return false;
  }
}
