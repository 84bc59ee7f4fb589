import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../db/pool.js';
import { systemClock } from '../shared/clock.js';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { type PeriodicTask, startWorker } from './scheduler.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  // Two connections and a short wait for one: the pool a starved worker would time out on.
  pool = createPool(db.url, 2, { statement_timeout_ms: 0, connection_timeout_ms: 1_000 });
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('the worker', () => {
  it('runs many exclusive tasks started at once on a small pool, none failing for want of a connection', async () => {
    const failures: unknown[] = [];
    const ran = new Set<string>();
    const tasks: PeriodicTask[] = Array.from({ length: 6 }, (_, index) => ({
      name: `busy_${index}`,
      interval_ms: 60_000,
      async run(task_pool) {
        // The work takes a connection of its own besides the one holding the task's lock.
        await task_pool.query('SELECT pg_sleep(0.2)');
        ran.add(`busy_${index}`);
        return 0;
      },
    }));
    const worker = startWorker(
      { pool, clock: systemClock, log: { info: () => undefined, error: (entry) => failures.push(entry) } },
      tasks,
    );
    const deadline = Date.now() + 10_000;
    while (ran.size < tasks.length && failures.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await worker.stop();
    expect(failures).toEqual([]);
    expect(ran.size).toBe(tasks.length);
  });

  it('aborts a round in progress on stop, which resolves without waiting for it, logging no failure', async () => {
    const failures: unknown[] = [];
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const waiting: PeriodicTask = {
      name: 'waits_on_a_slow_service',
      interval_ms: 60_000,
      exclusive: false,
      run: (_pool, _now, stopping) =>
        new Promise((_resolve, reject) => {
          started();
          stopping.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    };
    const worker = startWorker(
      { pool, clock: systemClock, log: { info: () => undefined, error: (entry) => failures.push(entry) } },
      [waiting],
    );
    await running;
    const stopping_since_ms = Date.now();
    await worker.stop();
    expect(Date.now() - stopping_since_ms).toBeLessThan(1_000);
    expect(failures).toEqual([]);
  });
});
