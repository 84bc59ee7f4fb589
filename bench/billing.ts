/**
 * The `billing_run` scenario (issue 15, "Speed"): BENCH_SUBSCRIPTIONS subscriptions (100,000 by
 * default) due at once, each collected from its holder's funded wallet, renewed by the worker's own
 * `run_billing` task (billing-worker.ts), first by one worker, then, a month later in simulated
 * time, by two at once. After each run: every subscription has exactly one new subscription_cycle
 * invoice, paid by one ledger entry, and a second run at the same time renews nothing. At the end
 * the whole ledger is verified. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { default_final_action, default_retry_schedule_s } from '../packages/server/src/billing/dunning.js';
import { addMonthsClamped } from '../packages/server/src/billing/math/periods.js';
import { createPool, inTransaction, type Pool } from '../packages/server/src/db/pool.js';
import { systemAccountId } from '../packages/server/src/ledger/accounts.js';
import { verifyLedger } from '../packages/server/src/ledger/verify.js';
import { writeEntries } from '../packages/server/src/ledger/write.js';
import { assert } from '../packages/server/src/shared/assert.js';
import { newId } from '../packages/server/src/shared/ids.js';
import type { WorkerReport } from './billing-worker.js';
import { type CpuSpent, measured } from './cpu.js';

const worker_js = path.join(path.dirname(fileURLToPath(import.meta.url)), 'billing-worker.ts');
/** Rows written per setup transaction (holders, wallets, one funding writeEntries, subscriptions). */
const setup_chunk_rows_max = 10_000;
/** Each subscription's price, and what its wallet is funded with: enough for both runs. */
const price_minor = 1_000n;
const funding_minor = 10_000n;
const asset = 'USD';

export interface BillingRun {
  readonly name: string;
  readonly workers: number;
  readonly now: Date;
  readonly due: number;
  /** Renewals the run wrote (counted in the database, not what the workers said). */
  readonly renewed: number;
  readonly wall_s: number;
  /** The workers' own CPU time (node), summed. */
  readonly node_cpu_s: number;
  readonly cpu: CpuSpent | undefined;
  /** What a second run at the same time (a few seconds later) renewed: must be 0. */
  readonly renewed_again: number;
  readonly checks: RunChecks;
  readonly statements: WorkerReport['statements'];
}

export interface RunChecks {
  /** Subscriptions without exactly one subscription_cycle invoice written by this run. */
  readonly not_invoiced_once: number;
  readonly invoices_paid: number;
  readonly ledger_entries: number;
  readonly events: number;
  /** Subscriptions still due at the run's time. */
  readonly still_due: number;
}

export interface BillingResult {
  readonly subscriptions: number;
  readonly setup_s: number;
  readonly runs: readonly BillingRun[];
  readonly violations: number;
  readonly verify_s: number;
  readonly ok: boolean;
}

/** Sets up `count` due subscriptions on `database_url` (already migrated), runs and checks. */
export async function billingBench(options: {
  database_url: string;
  postmaster: number | undefined;
  subscriptions: number;
  trace: boolean;
  progress: (line: string) => void;
}): Promise<BillingResult> {
  const pool = createPool(options.database_url, 4);
  try {
    const setup_started = Date.now();
    await setUp(pool, options.subscriptions, new Date(), options.progress);
    const setup_s = (Date.now() - setup_started) / 1000;
    options.progress(`set up ${options.subscriptions} subscriptions in ${setup_s.toFixed(1)} s\n`);
    const first = await billingRun(pool, options, '1 worker', 1, new Date());
    // A month on in simulated time every subscription is due again: the second run, two workers.
    const latest = await pool.query<{ at: Date }>('SELECT max(current_period_end) AS at FROM subscriptions');
    const later = new Date((latest.rows[0]?.at ?? new Date()).getTime() + 1_000);
    const second = await billingRun(pool, options, '2 workers at once, a month later', 2, later);
    const verify_started = Date.now();
    const violations = await verifyLedger(pool);
    const verify_s = (Date.now() - verify_started) / 1000;
    const runs = [first, second];
    const ok =
      violations.length === 0 &&
      runs.every(
        (run) =>
          run.renewed === options.subscriptions &&
          run.due === options.subscriptions &&
          run.renewed_again === 0 &&
          run.checks.not_invoiced_once === 0 &&
          run.checks.still_due === 0 &&
          run.checks.invoices_paid === options.subscriptions &&
          run.checks.ledger_entries === options.subscriptions,
      );
    for (const violation of violations.slice(0, 10))
      options.progress(`verify: ${violation.check} ${violation.subject}: ${violation.detail}\n`);
    return {
      subscriptions: options.subscriptions,
      setup_s,
      runs,
      violations: violations.length,
      verify_s,
      ok,
    };
  } finally {
    await pool.end();
  }
}

async function billingRun(
  pool: Pool,
  options: {
    database_url: string;
    postmaster: number | undefined;
    trace: boolean;
    progress: (line: string) => void;
  },
  name: string,
  workers: number,
  now: Date,
): Promise<BillingRun> {
  const due = await countDue(pool, now);
  options.progress(`billing run, ${name}: ${due} due ...`);
  const { value: reports, cpu } = await runWorkers(options, workers, now, true);
  const started = Math.min(...reports.map((r) => r.started_ms));
  const wall_s = (Math.max(...reports.map((r) => r.finished_ms)) - started) / 1000;
  const checks = await checkRun(pool, now);
  const renewed = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM invoices WHERE created_at = $1 AND billing_reason = 'subscription_cycle'",
    [now],
  );
  options.progress(` ${wall_s.toFixed(1)} s\n`);
  // The same run again a moment later, as the next tick of both workers would be.
  const again_at = new Date(now.getTime() + (Date.now() - started));
  const again = await runWorkers(options, workers, again_at, false);
  const statements: WorkerReport['statements'] = {};
  for (const report of reports)
    for (const [text, s] of Object.entries(report.statements)) {
      const entry = statements[text] ?? { count: 0, ms: 0 };
      statements[text] = { count: entry.count + s.count, ms: entry.ms + s.ms };
    }
  return {
    name,
    workers,
    now,
    due,
    renewed: renewed.rows[0]?.n ?? 0,
    wall_s,
    node_cpu_s: reports.reduce((sum, r) => sum + r.cpu_s, 0),
    cpu,
    renewed_again: again.value.reduce((sum, r) => sum + r.handled, 0),
    checks,
    statements,
  };
}

async function countDue(pool: Pool, now: Date): Promise<number> {
  const due = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM subscriptions
     WHERE status IN ('trialing', 'active', 'past_due') AND test_clock_id IS NULL AND current_period_end <= $1`,
    [now],
  );
  return due.rows[0]?.n ?? 0;
}

/** How long a worker may take to start, and to finish one billing run, before the bench gives up. */
const worker_start_ms_max = 60_000;
const worker_run_ms_max = 900_000;

/** Starts `count` worker processes, lets them go at once, and waits for their reports. */
async function runWorkers(
  options: { database_url: string; postmaster: number | undefined; trace: boolean },
  count: number,
  now: Date,
  trace: boolean,
): Promise<{ value: WorkerReport[]; cpu: CpuSpent | undefined }> {
  // BENCH_BILLING_NODE_ARGS passes flags to the workers' node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const node_args = (process.env.BENCH_BILLING_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const children = Array.from({ length: count }, () => {
    const child = spawn(process.execPath, [...process.execArgv, ...node_args, worker_js], {
      env: {
        ...process.env,
        DATABASE_URL: options.database_url,
        BENCH_BILLING_NOW: now.toISOString(),
        BENCH_BILLING_TRACE: options.trace && trace ? '1' : '0',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    // 'close' comes after the child's output has all been read, so a line it printed is never lost.
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const next = (wait_ms_max: number) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill();
          reject(new Error(`a billing worker said nothing for ${wait_ms_max} ms`));
        }, wait_ms_max);
        lines.once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
        void closed.then((code) => {
          clearTimeout(timer);
          reject(new Error(`a billing worker exited (${code}) before answering`));
        });
      });
    return { child, next, ready: next(worker_start_ms_max), closed };
  });
  try {
    for (const { ready } of children) assert((await ready) === 'ready', 'the worker starts');
    return await measured({ server: undefined, postmaster: options.postmaster }, async () => {
      const reports = children.map(({ next }) => next(worker_run_ms_max));
      for (const { child } of children) child.stdin.end('go\n');
      const texts = await Promise.all(reports);
      const codes = await Promise.all(children.map(({ closed }) => closed));
      assert(
        codes.every((code) => code === 0),
        `billing workers exited with ${codes.join(', ')}`,
      );
      return texts.map((text) => JSON.parse(text) as WorkerReport);
    });
  } catch (error) {
    // One worker failing leaves none behind, waiting for a start signal that will not come.
    for (const { child } of children) child.kill();
    throw error;
  }
}

async function checkRun(pool: Pool, now: Date): Promise<RunChecks> {
  const result = await pool.query<{ [K in keyof RunChecks]: number }>(
    `SELECT
       (SELECT count(*)::int FROM (SELECT s.id FROM subscriptions s
          LEFT JOIN invoices i ON i.subscription_id = s.id AND i.billing_reason = 'subscription_cycle' AND i.created_at = $1
          GROUP BY s.id HAVING count(i.id) <> 1) AS x) AS not_invoiced_once,
       (SELECT count(*)::int FROM invoices WHERE created_at = $1 AND status = 'paid') AS invoices_paid,
       (SELECT count(*)::int FROM ledger_transactions WHERE created_at = $1 AND reason = 'invoice.paid') AS ledger_entries,
       (SELECT count(*)::int FROM events WHERE created_at = $1) AS events,
       (SELECT count(*)::int FROM subscriptions WHERE status IN ('trialing', 'active', 'past_due')
          AND test_clock_id IS NULL AND current_period_end <= $1) AS still_due`,
    [now],
  );
  const row = result.rows[0];
  assert(row !== undefined, 'one row of checks');
  return row;
}

/**
 * `count` holders, each with a USD wallet funded through the ledger (one `writeEntries` call per
 * chunk, from a platform treasury wallet with an overdraft, as bench/setup.ts funds through the
 * API) and an active monthly subscription to one 10.00 price whose period ended in the past day.
 * Bulk SQL, so 100,000 take about a minute rather than an hour through the API; then ANALYZE, as a
 * database that grew to this size would have its statistics, and a CHECKPOINT, so the runs do not
 * pay for the setup's writes.
 */
export async function setUp(
  pool: Pool,
  count: number,
  now: Date,
  progress: (line: string) => void,
): Promise<void> {
  const revenue = systemAccountId(false, asset, 'fees');
  const { price_id, treasury_id } = await inTransaction(pool, async (db) => {
    const product_id = newId('product', now.getTime());
    const price_id = newId('price', now.getTime());
    const treasury_id = newId('wallet', now.getTime());
    await db.query(
      `INSERT INTO products (id, livemode, name, created_at, updated_at) VALUES ($1, false, 'Bench plan', $2, $2)`,
      [product_id, now],
    );
    await db.query(
      `INSERT INTO prices (id, livemode, product_id, asset, type, billing_scheme, unit_amount, recurring_interval,
         recurring_interval_count, usage_type, created_at, updated_at)
       VALUES ($1, false, $2, $3, 'recurring', 'per_unit', $4, 'month', 1, 'licensed', $5, $5)`,
      [price_id, product_id, asset, price_minor.toString(), now],
    );
    await db.query(
      `INSERT INTO accounts (id, livemode, asset, kind, floor_minor, created_at)
       VALUES ($1, false, $2, 'wallet', -1000000000000000, $3)`,
      [treasury_id, asset, now],
    );
    return { price_id, treasury_id };
  });
  const day_ms = 86_400_000;
  for (let start = 0; start < count; start += setup_chunk_rows_max) {
    const size = Math.min(setup_chunk_rows_max, count - start);
    const ids = (kind: Parameters<typeof newId>[0]) =>
      Array.from({ length: size }, () => newId(kind, now.getTime()));
    const holders = ids('holder');
    const wallets = ids('wallet');
    const subscriptions = ids('subscription');
    // Period ends spread over the past day, as subscriptions started over a day would be.
    const ends = holders.map(
      (_, i) => new Date(now.getTime() - day_ms + Math.floor(((start + i) * (day_ms - 60_000)) / count)),
    );
    const starts = ends.map((end) => addMonthsClamped(end, -1));
    await inTransaction(pool, async (db) => {
      await db.query(
        `INSERT INTO holders (id, livemode, name, created_at, updated_at)
         SELECT id, false, 'Bench holder', $2, $2 FROM unnest($1::text[]) AS id`,
        [holders, now],
      );
      await db.query(
        `INSERT INTO accounts (id, livemode, asset, kind, holder_id, floor_minor, created_at)
         SELECT w, false, $3, 'wallet', h, 0, $4 FROM unnest($1::text[], $2::text[]) AS u (w, h)`,
        [wallets, holders, asset, now],
      );
      const funded = await writeEntries(
        db,
        wallets.map((wallet) => ({
          livemode: false,
          reason: 'bench.funding',
          reference_id: wallet,
          movements: [
            { from: treasury_id, to: wallet, amount_minor: funding_minor, layer: 'posted' as const },
          ],
        })),
        now,
      );
      assert(
        funded.every((outcome) => outcome.ok),
        'every wallet is funded',
      );
      await db.query(
        `INSERT INTO subscriptions (id, livemode, holder_id, status, asset, interval, interval_count, wallet_id,
           revenue_account_id, billing_cycle_anchor, current_period_start, current_period_end, retry_schedule_s,
           final_action, created_at, updated_at)
         SELECT id, false, h, 'active', $5, 'month', 1, w, $6, s, s, e, $7::integer[], $9, s, s
         FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $8::timestamptz[]) AS u (id, h, w, e, s)`,
        [
          subscriptions,
          holders,
          wallets,
          ends,
          asset,
          revenue,
          default_retry_schedule_s,
          starts,
          default_final_action,
        ],
      );
      await db.query(
        `INSERT INTO subscription_items (id, subscription_id, price_id, quantity, created_at)
         SELECT i, s, $3, 1, $4 FROM unnest($1::text[], $2::text[]) AS u (i, s)`,
        [ids('subscription_item'), subscriptions, price_id, now],
      );
    });
    progress(`\rsetting up subscriptions: ${start + size} of ${count}`);
  }
  progress('\n');
  await pool.query(
    'ANALYZE holders, accounts, ledger_transactions, postings, products, prices, subscriptions, subscription_items, invoices, events',
  );
  await pool.query('CHECKPOINT').catch(() => undefined);
}
