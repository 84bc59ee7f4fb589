/**
 * One billing worker for the `billing_run` scenario (billing.ts starts one or two of these): runs
 * the worker's own `run_billing` task (worker/tasks.ts: renewDue in batches of 1,000 until none is
 * left, then the retries) once, at the time it is given, on a pool made as `purse worker` makes
 * its own. A separate process, as a second worker would be, so two of them share nothing but
 * PostgreSQL.
 *
 * Protocol: prints `ready`, waits for a line on stdin, runs, prints one JSON line (WorkerReport).
 * With BENCH_BILLING_TRACE=1 it also times every statement by its text, on this side of the wire
 * (round trip included), to see where a batch's time goes.
 */
import { createInterface } from 'node:readline';
import { loadConfig } from '../packages/server/src/config.js';
import { loadDataKeys } from '../packages/server/src/crypto/keyring.js';
import { installProcessKek } from '../packages/server/src/crypto/start.js';
import { createPool } from '../packages/server/src/db/pool.js';
import { assert } from '../packages/server/src/shared/assert.js';
import { backgroundTasks } from '../packages/server/src/worker/tasks.js';

export interface WorkerReport {
  /** What the task returned: renewals plus retries handled. */
  readonly handled: number;
  readonly started_ms: number;
  readonly finished_ms: number;
  /** This process's CPU time (user + system) from the start signal to the end. */
  readonly cpu_s: number;
  /** By statement (its first words), when tracing: how many ran and their time in ms. */
  readonly statements: Record<string, { count: number; ms: number }>;
}

const database_url = process.env.DATABASE_URL;
const now_text = process.env.BENCH_BILLING_NOW;
assert(database_url !== undefined && now_text !== undefined, 'DATABASE_URL and BENCH_BILLING_NOW are set');
const now = new Date(now_text);
const config = loadConfig({ ...process.env, DATABASE_URL: database_url });
const pool = createPool(database_url, config.worker_db_pool_size_max, {
  statement_timeout_ms: config.db_statement_timeout_ms,
  connection_timeout_ms: config.db_connection_timeout_ms,
});
// The billing run records sealed events: the run's KEK (bench/run.ts) and the database's data keys.
await installProcessKek(config);
await loadDataKeys(pool);
const statements: WorkerReport['statements'] = {};
if (process.env.BENCH_BILLING_TRACE === '1') pool.on('connect', traced);

const task = backgroundTasks(config, { log: { info: () => undefined, error: () => undefined } }).find(
  (candidate) => candidate.name === 'run_billing',
);
assert(task !== undefined, 'the worker has a run_billing task');

// Connect before the start signal, so the timed part is the billing run alone.
await pool.query('SELECT 1');
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
const started_ms = Date.now();
const cpu_before = process.cpuUsage();
const handled = await task.run(pool, now, new AbortController().signal);
const cpu = process.cpuUsage(cpu_before);
const report: WorkerReport = {
  handled,
  started_ms,
  finished_ms: Date.now(),
  cpu_s: (cpu.user + cpu.system) / 1e6,
  statements,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
await pool.end();

/** Wraps a new connection's `query` to add each statement's time to `statements`. */
function traced(client: { query: (...args: never[]) => unknown }): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  client.query = ((...args: unknown[]) => {
    const first = args[0];
    const text = typeof first === 'string' ? first : String((first as { text?: string }).text ?? '');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 70);
    const started = performance.now();
    const done = () => {
      const entry = statements[key] ?? { count: 0, ms: 0 };
      entry.count += 1;
      entry.ms += performance.now() - started;
      statements[key] = entry;
    };
    // pg-pool's own `pool.query` passes a callback (and gets no promise back); the rest await.
    const last = args.at(-1);
    if (typeof last === 'function')
      return query(...args.slice(0, -1), (...results: unknown[]) => {
        done();
        return last(...results);
      });
    const result = query(...args);
    result.then(done, done);
    return result;
  }) as never;
}
