/**
 * The `scale` scenario (issue 21): a running `purse serve` loaded through the batch endpoint to
 * `transfers` (1,000,000, or 10,000,000), every transfer paying a fee into one hot wallet, measured
 * at every `step` along the way: the loading rate, the events written but not yet sequenced
 * (sampled while loading, with ANALYZE run at random moments), the trial balance, a balance at a
 * past instant on the hot wallet, `purse verify` and `purse verify --full`, bytes per transfer and
 * the server's memory. See bench/README.md.
 */

import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { storageBytes } from '../packages/server/src/db/storage.js';
import { assert } from '../packages/server/src/shared/assert.js';
import { type LatencyMs, timedGets, timedGetsInTurn } from './overview.js';
import { type Api, createFundedWallets, pooled, post, postBatch } from './setup.js';

/** What `purse verify` with these arguments printed, and its exit status. */
export type RunVerify = (args: readonly string[]) => { ok: boolean; output: string; status: number };

export interface ScaleOptions {
  readonly transfers: number;
  readonly step: number;
  /** Wallets created before loading and never moved: the accounts a platform's idle users hold. */
  readonly idle_wallets: number;
  /** Requests timed one after the other for each read, at every step. */
  readonly requests: number;
  readonly server_pid: number | undefined;
  readonly verify: RunVerify;
  readonly progress: (line: string) => void;
  /** Told the result so far after every step: a run that fails later keeps what it measured. */
  readonly on_step?: (result: ScaleResult) => Promise<void>;
}

export interface Timed {
  readonly s: number;
  readonly ok: boolean;
  /** The time the command reports for its own work (`in N ms`): the process less start and exit. */
  readonly own_s?: number;
  /** What a failed run printed (its violations), for the report. */
  readonly failure?: string;
}

export interface LoadWindow {
  readonly transfers: number;
  readonly s: number;
  /** Events written in the window: the change in (largest position + unsequenced). */
  readonly events_written: number;
  /** The most events unsequenced at once, of the samples taken every `backlog_sample_ms`. */
  readonly backlog_max: number;
  readonly samples: number;
  readonly analyzes: readonly { readonly table: string; readonly ms: number }[];
}

export interface ScaleStep {
  readonly transfers: number;
  /** The loading since the step before; undefined for the first measurement, before any. */
  readonly load: LoadWindow | undefined;
  readonly trial_balance: LatencyMs;
  readonly balance_at: LatencyMs;
  /** `GET /v1/wallets/:id` on the same wallet, in turn with `balance_at`: the request path's own cost. */
  readonly wallet_get: LatencyMs;
  /** `purse verify` after `verify_new_transfers` transfers more than its previous run. */
  readonly verify: Timed;
  /** `purse verify --full`; undefined where this build has no such option. */
  readonly verify_full: Timed | undefined;
  readonly storage: readonly { readonly table: string; readonly bytes: number }[];
  readonly rss_bytes: number | undefined;
  /** The machine's speed just before verify: what the same fixed work takes, to compare runs by. */
  readonly reference: MachineReference;
  /** How long the step waited for autovacuum to finish with what the load wrote, before measuring. */
  readonly autovacuum_wait_s: number;
  /**
   * What autovacuum was doing as `purse verify` started or ended (`VACUUM public.postings`): nothing
   * unless it started again, or did not finish within `autovacuum_wait_s_max`.
   */
  readonly autovacuum_at_verify: readonly string[];
}

export interface MachineReference {
  /** `node -e 0`, start to exit: what every `purse` command pays before its own code. */
  readonly node_start_ms: number;
  /** `SELECT sum(i) FROM generate_series(1, 1000000)` on the bench's database: PostgreSQL's CPU. */
  readonly pg_sum_ms: number;
}

export interface ScaleResult {
  readonly steps: readonly ScaleStep[];
  readonly verify_new_transfers: number;
  readonly requests: number;
  readonly wallets: number;
  readonly idle_wallets: number;
}

export const scale_transfers_per_request = 100;
export const scale_requests_in_flight = 8;
export const backlog_sample_ms = 250;
/** ANALYZE runs after a pause drawn between 0 and this, again and again while loading. */
const analyze_gap_ms_max = 3_000;
const analyzed_tables = ['events', 'transfers', 'postings', 'ledger_transactions', 'accounts'] as const;
/** Issue 21 times `purse verify` after this many new transfers (fewer if the step is smaller). */
const verify_new_transfers_max = 100_000;
const wallets_count = 1_000;

export async function scaleBench(
  api: Api,
  database_url: string,
  options: ScaleOptions,
): Promise<ScaleResult> {
  const { transfers, step } = options;
  assert(step % scale_transfers_per_request === 0 && step > 0, 'the step is a positive multiple of 100');
  assert(transfers % step === 0, 'the transfers are a multiple of the step');
  const db = new pg.Pool({ connectionString: database_url, max: 3 });
  try {
    const history_from = new Date();
    const funded = await createFundedWallets(api, wallets_count, '1000000.00');
    await pooled(options.idle_wallets, 32, () => post(api, '/v1/wallets', { currency: 'USD' }));
    const loader = batchLoader(api, funded.wallets, funded.fee_wallet);
    const verify_new = Math.min(verify_new_transfers_max, step);
    const measure = (load: LoadWindow | undefined) =>
      measureStep(api, db, {
        ...options,
        history_from,
        hot_wallet: funded.fee_wallet,
        load,
        loaded: loader.committed,
      });
    const result = (steps: ScaleStep[]): ScaleResult => ({
      steps,
      verify_new_transfers: verify_new,
      requests: options.requests,
      wallets: wallets_count,
      idle_wallets: options.idle_wallets,
    });
    const steps = [await measure(undefined)];
    for (let boundary = step; boundary <= transfers; boundary += step) {
      const before = await whileLoading(db, loader, boundary - verify_new);
      // From here, verify has `verify_new` transfers to check (the step's own run did it otherwise).
      if (before.transfers > 0) options.verify([]);
      const after = await whileLoading(db, loader, boundary);
      steps.push(await measure(joined(before, after)));
      options.progress(`scale: ${boundary.toLocaleString('en-US')} transfers loaded and measured\n`);
      await options.on_step?.(result(steps));
    }
    return result(steps);
  } finally {
    await db.end();
  }
}

/** Posts batches of 100 transfers, `scale_requests_in_flight` at once, each with a fee into `hot_wallet`. */
interface Loader {
  readonly committed: number;
  /** Posts until `total` transfers have been requested since the start, and they are answered. */
  loadTo(total: number): Promise<void>;
}

function batchLoader(api: Api, wallets: readonly string[], hot_wallet: string): Loader {
  let requested = 0;
  let committed = 0;
  return {
    get committed() {
      return committed;
    },
    async loadTo(total: number): Promise<void> {
      const requests = total / scale_transfers_per_request;
      const lane = async () => {
        while (requested < requests) {
          requested += 1;
          await postFeeBatch(api, wallets, hot_wallet);
          committed += scale_transfers_per_request;
        }
      };
      await Promise.all(Array.from({ length: scale_requests_in_flight }, lane));
    },
  };
}

async function postFeeBatch(api: Api, wallets: readonly string[], hot_wallet: string): Promise<void> {
  const pick = () => wallets[Math.floor(Math.random() * wallets.length)] ?? '';
  const transfers = Array.from({ length: scale_transfers_per_request }, () => {
    const source = pick();
    let destination = pick();
    while (destination === source) destination = pick();
    return {
      source_wallet_id: source,
      destination_wallet_id: destination,
      amount: '0.02',
      currency: 'USD',
      fee: { amount: '0.01', wallet_id: hot_wallet },
    };
  });
  await postBatch(api, transfers);
}

interface BacklogSample {
  readonly backlog: number;
  /** The largest position given: events sequenced so far, positions having no gaps. */
  readonly position: number;
}

async function sampleBacklog(db: pg.Pool): Promise<BacklogSample> {
  const sample = await db.query<{ backlog: string; position: string }>(
    `SELECT (SELECT count(*) FROM events WHERE position IS NULL)::text AS backlog,
            (SELECT coalesce(max(position), 0) FROM events)::text AS position`,
  );
  const row = sample.rows[0];
  assert(row !== undefined, 'the sample has a row');
  return { backlog: Number(row.backlog), position: Number(row.position) };
}

/**
 * Loads up to `total`, sampling the backlog every `backlog_sample_ms` and running ANALYZE on one
 * of `analyzed_tables` at random moments meanwhile (so the sequencer's plans meet statistics taken
 * at any backlog); returns what the window wrote and saw.
 */
async function whileLoading(db: pg.Pool, loader: Loader, total: number): Promise<LoadWindow> {
  const first = await sampleBacklog(db);
  const committed_before = loader.committed;
  const started = performance.now();
  const samples: BacklogSample[] = [first];
  const analyzes: { table: string; ms: number }[] = [];
  let loading = true;
  const done = () => !loading;
  const sampler = repeatUntil(
    done,
    () => backlog_sample_ms,
    async () => {
      samples.push(await sampleBacklog(db));
    },
  );
  const analyzer = repeatUntil(
    done,
    () => Math.random() * analyze_gap_ms_max,
    async () => {
      const table = analyzed_tables[Math.floor(Math.random() * analyzed_tables.length)] ?? 'events';
      const analyze_started = performance.now();
      await db.query(`ANALYZE ${table}`);
      analyzes.push({ table, ms: performance.now() - analyze_started });
    },
  );
  try {
    await loader.loadTo(total);
  } finally {
    loading = false;
    await Promise.all([sampler, analyzer]);
  }
  const s = (performance.now() - started) / 1000;
  const last = await sampleBacklog(db);
  samples.push(last);
  return {
    transfers: loader.committed - committed_before,
    s,
    events_written: last.position + last.backlog - (first.position + first.backlog),
    backlog_max: Math.max(...samples.map((sample) => sample.backlog)),
    samples: samples.length,
    analyzes,
  };
}

/** Runs `work` after each pause of `pause_ms()` until `done()`; a pause under way ends early then. */
async function repeatUntil(
  done: () => boolean,
  pause_ms: () => number,
  work: () => Promise<void>,
): Promise<void> {
  const check_ms = 50;
  while (!done()) {
    const until = performance.now() + pause_ms();
    while (!done() && performance.now() < until)
      await new Promise((resolve) => setTimeout(resolve, Math.min(check_ms, until - performance.now())));
    if (!done()) await work();
  }
}

/** Two windows of one step as one (the step's loading, without the pause for verify between). */
function joined(a: LoadWindow, b: LoadWindow): LoadWindow {
  return {
    transfers: a.transfers + b.transfers,
    s: a.s + b.s,
    events_written: a.events_written + b.events_written,
    backlog_max: Math.max(a.backlog_max, b.backlog_max),
    samples: a.samples + b.samples,
    analyzes: [...a.analyzes, ...b.analyzes],
  };
}

interface StepContext extends ScaleOptions {
  readonly history_from: Date;
  readonly hot_wallet: string;
  readonly load: LoadWindow | undefined;
  readonly loaded: number;
}

/** Everything measured at a step, with the load paused. */
async function measureStep(api: Api, db: pg.Pool, context: StepContext): Promise<ScaleStep> {
  const autovacuum_wait_s = await autovacuumFinished(db);
  const reference = await machineReference(db);
  const autovacuum_before = await autovacuumWork(db);
  const verify = timedVerify(context.verify, []);
  assert(verify !== undefined, 'purse verify takes no arguments');
  const autovacuum_at_verify = [...new Set([...autovacuum_before, ...(await autovacuumWork(db))])].sort();
  const verify_full = timedVerify(context.verify, ['--full']);
  const trial_balance = await timedGets(api, '/v1/reports/trial_balance', context.requests);
  const span_ms = Date.now() - context.history_from.getTime();
  const [balance_at, wallet_get] = await timedGetsInTurn(
    api,
    [
      () => {
        const at = new Date(context.history_from.getTime() + Math.random() * span_ms);
        return `/v1/wallets/${context.hot_wallet}/balance?at=${encodeURIComponent(at.toISOString())}`;
      },
      `/v1/wallets/${context.hot_wallet}`,
    ],
    context.requests,
  );
  assert(balance_at !== undefined && wallet_get !== undefined, 'two reads timed');
  return {
    transfers: context.loaded,
    load: context.load,
    trial_balance,
    balance_at,
    wallet_get,
    verify,
    verify_full,
    storage: await storageBytes(db),
    rss_bytes: context.server_pid === undefined ? undefined : await residentBytes(context.server_pid),
    reference,
    autovacuum_wait_s,
    autovacuum_at_verify,
  };
}

/**
 * A step's load leaves autovacuum a few GB to vacuum and analyze at 10,000,000 transfers, on one of
 * the two cores for up to minutes: verify, whose two connections want both, measured during it took
 * 1.08 s at a step where the others took 0.77 to 0.91 (2026-12-07-scale-6961ec1.md). Like the load
 * itself, it is paused for the measurements: they start once no autovacuum worker is busy (the
 * seconds waited are reported), or after this long, the tables still vacuumed then being reported.
 */
const autovacuum_wait_s_max = 600;
const autovacuum_poll_ms = 500;

/** Waits until no autovacuum worker is busy, at most `autovacuum_wait_s_max`; the seconds waited. */
async function autovacuumFinished(db: pg.Pool): Promise<number> {
  const started = performance.now();
  const waited_s = () => (performance.now() - started) / 1000;
  while ((await autovacuumWork(db)).length > 0 && waited_s() < autovacuum_wait_s_max)
    await new Promise((resolve) => setTimeout(resolve, autovacuum_poll_ms));
  return waited_s();
}

/** What autovacuum's workers are doing now, as each names it: `VACUUM public.postings`, `ANALYZE ...`. */
async function autovacuumWork(db: pg.Pool): Promise<string[]> {
  const result = await db.query<{ work: string }>(
    `SELECT regexp_replace(query, '^autovacuum: ', '') AS work FROM pg_stat_activity
     WHERE backend_type = 'autovacuum worker' AND state = 'active'`,
  );
  return result.rows.map((row) => row.work);
}

/** Runs of each fixed piece of work: their median is the reference. */
const reference_runs = 5;

/**
 * The same fixed work timed at every step, the load paused: a process start and a query that only
 * computes. Verify's time follows the machine's speed; these show that speed beside it, so that
 * runs on different days, or steps of one run, can be told apart from changes in Purse.
 */
async function machineReference(db: pg.Pool): Promise<MachineReference> {
  const median = async (work: () => unknown) => {
    const times: number[] = [];
    for (let run = 0; run < reference_runs; run += 1) {
      const started = performance.now();
      await work();
      times.push(performance.now() - started);
    }
    return times.toSorted((a, b) => a - b)[Math.floor(reference_runs / 2)] ?? 0;
  };
  return {
    node_start_ms: await median(() => spawnSync(process.execPath, ['-e', '0'])),
    pg_sum_ms: await median(() => db.query('SELECT sum(i) FROM generate_series(1, 1000000) i')),
  };
}

/** Times `purse verify <args>`; undefined when this build does not know the arguments. */
function timedVerify(verify: RunVerify, args: readonly string[]): Timed | undefined {
  const started = performance.now();
  const outcome = verify(args);
  const s = (performance.now() - started) / 1000;
  if (!outcome.ok && outcome.status === 2 && /unknown option/i.test(outcome.output)) return undefined;
  if (!outcome.ok) return { s, ok: false, failure: outcome.output };
  const own_ms = outcome.output.match(/ in (\d+) ms\b/)?.[1];
  return own_ms === undefined ? { s, ok: true } : { s, ok: true, own_s: Number(own_ms) / 1000 };
}

/** The process's resident memory (VmRSS) from /proc; undefined off Linux. */
async function residentBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kib = status?.match(/^VmRSS:\s+(\d+) kB$/m)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}
