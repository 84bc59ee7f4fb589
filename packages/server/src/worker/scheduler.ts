import { createHash } from 'node:crypto';
import { inTransaction, type Pool } from '../db/pool.js';
import { task_last_success, task_rounds } from '../metrics/process-metrics.js';
import type { Clock } from '../shared/clock.js';
import { attr, failSpan, inSpan } from '../tracing/spans.js';
import { Slots } from './slots.js';

/** A job that runs every `interval_ms`. */
export interface PeriodicTask {
  readonly name: string;
  readonly interval_ms: number;
  /**
   * Exclusive tasks (the default) run in one of the processes sharing the database at a time;
   * others run in every process at once and coordinate through row locks themselves.
   */
  readonly exclusive?: boolean;
  /**
   * Returns how many items it handled, for the log. `stopping` is aborted when the worker stops: a
   * round that waits on something slow (a chain node, a long loop of batches) ends early on it, so
   * shutdown is not held up to its grace by a round that only waits.
   */
  run(pool: Pool, now: Date, stopping: AbortSignal): Promise<number>;
  /** Waits for work the task left running in the background, on shutdown. */
  stop?(): Promise<void>;
}

export interface WorkerDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface Worker {
  stop(): Promise<void>;
}

/**
 * Background work on PostgreSQL alone. Each task runs in its own loop, waiting `interval_ms`
 * between rounds, so a slow task (webhook delivery) never delays another (hold expiry). An
 * exclusive task takes a transaction-level advisory lock per round, so two processes never run it
 * at once (the loser skips that round). `stop()` aborts the rounds' `stopping` signal, then waits
 * for every round in progress, so shutdown never cuts a task in half.
 */
export function startWorker(deps: WorkerDeps, tasks: readonly PeriodicTask[]): Worker {
  let stopped = false;
  const stopping = new AbortController();
  // An exclusive round holds one connection for its lock while its task takes others from the same
  // pool: with every task starting at once, the locks alone could take the whole pool and each
  // round would wait for a connection that never frees (until the pool's timeout fails them all).
  // At most half the pool's connections hold locks, so the other half are there for the work.
  const lock_slots = new Slots(Math.max(1, Math.floor((deps.pool.options.max ?? 10) / 2)));
  const wakers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      wakers.add(wake);
    });
  const loops = tasks.map(async (task) => {
    while (!stopped) {
      const round = () => runOnce(deps, task, deps.clock.now(), stopping.signal);
      if (task.exclusive === false) await round();
      else await lock_slots.run(() => (stopped ? Promise.resolve() : round()));
      if (!stopped) await sleep(task.interval_ms);
    }
  });
  return {
    async stop() {
      stopped = true;
      stopping.abort();
      for (const wake of [...wakers]) wake();
      await Promise.all(loops);
      await Promise.all(tasks.map((task) => task.stop?.()));
    },
  };
}

/**
 * One round, as a root span `worker.<task>`: what it does (a job, a webhook claim) hangs under it,
 * and its log line carries its trace id. A round that handled nothing is marked idle, and its trace
 * is not exported (tracing/idle-rounds.ts). Counted in purse_worker_task_rounds_total; a round
 * skipped because another process holds the task is not a success here.
 */
function runOnce(deps: WorkerDeps, task: PeriodicTask, now: Date, stopping: AbortSignal): Promise<void> {
  return inSpan(
    `worker.${task.name}`,
    { root: true, attributes: { [attr.task]: task.name } },
    async (span) => {
      try {
        const handled = await runRound(deps, task, now, stopping);
        task_rounds.inc({ task: task.name, outcome: handled === 'skipped' ? 'skipped' : 'ok' });
        if (handled !== 'skipped') task_last_success.set({ task: task.name }, Date.now() / 1000);
        const count = handled === 'skipped' ? 0 : handled;
        span.setAttribute(attr.handled, count);
        if (count === 0) span.setAttribute(attr.idle, true);
        else deps.log.info({ task: task.name, handled: count }, 'background task ran');
      } catch (error) {
        if (stopping.aborted) {
          // Cut short by the stop (its node calls aborted): not a failure, and nothing committed half.
          deps.log.info({ task: task.name }, 'background task stopped mid-round');
          return;
        }
        task_rounds.inc({ task: task.name, outcome: 'failed' });
        failSpan(span, error);
        deps.log.error({ err: error, task: task.name }, 'background task failed');
      }
    },
  );
}

function runRound(
  deps: WorkerDeps,
  task: PeriodicTask,
  now: Date,
  stopping: AbortSignal,
): Promise<number | 'skipped'> {
  if (task.exclusive === false) return task.run(deps.pool, now, stopping);
  return inTransaction(deps.pool, async (client) => {
    const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      lockId(task.name).toString(),
    ]);
    return lock.rows[0]?.locked ? task.run(deps.pool, now, stopping) : 'skipped';
  });
}

function lockId(name: string): bigint {
  return createHash('sha256').update(`purse:task:${name}`).digest().readBigInt64BE(0);
}
