import { createHash } from 'node:crypto';
import { inTransaction, type Pool } from '../db/pool.js';
import type { Clock } from '../shared/clock.js';

/** A job that runs every `interval_ms` in exactly one of the processes sharing the database. */
export interface PeriodicTask {
  readonly name: string;
  readonly interval_ms: number;
  /** Returns how many items it handled, for the log. */
  run(pool: Pool, now: Date): Promise<number>;
}

export interface WorkerDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly tick_ms: number;
  readonly log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface Worker {
  stop(): Promise<void>;
}

/**
 * Background work on PostgreSQL alone. Each tick runs the tasks that are due; a transaction-level
 * advisory lock per task keeps two processes from running one task at once (the loser skips that
 * round). `stop()` waits for the round in progress, so shutdown never cuts a task in half.
 */
export function startWorker(deps: WorkerDeps, tasks: readonly PeriodicTask[]): Worker {
  const next_run_ms = new Map(tasks.map((task) => [task.name, 0]));
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  const tick = async () => {
    const now = deps.clock.now();
    for (const task of tasks) {
      if (stopped || (next_run_ms.get(task.name) ?? 0) > now.getTime()) continue;
      next_run_ms.set(task.name, now.getTime() + task.interval_ms);
      await runOnce(deps, task, now);
    }
  };
  const timer = setInterval(() => {
    round = round.then(tick);
  }, deps.tick_ms);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await round;
    },
  };
}

async function runOnce(deps: WorkerDeps, task: PeriodicTask, now: Date): Promise<void> {
  try {
    const handled = await inTransaction(deps.pool, async (client) => {
      const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        lockId(task.name).toString(),
      ]);
      return lock.rows[0]?.locked ? task.run(deps.pool, now) : 0;
    });
    if (handled > 0) deps.log.info({ task: task.name, handled }, 'background task ran');
  } catch (error) {
    deps.log.error({ err: error, task: task.name }, 'background task failed');
  }
}

function lockId(name: string): bigint {
  return createHash('sha256').update(`purse:task:${name}`).digest().readBigInt64BE(0);
}
