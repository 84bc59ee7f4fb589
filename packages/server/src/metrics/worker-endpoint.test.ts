import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../db/pool.js';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { sample } from '../test-support/metrics.js';
import { startWorker } from '../worker/scheduler.js';
import { listenWorkerEndpoint, type WorkerEndpoint } from './worker-endpoint.js';

let db: TestDatabase;
let worker_pool: Pool;
let endpoint: WorkerEndpoint;
beforeAll(async () => {
  db = await createTestDatabase();
  worker_pool = createPool(db.url, 2);
  endpoint = await listenWorkerEndpoint({ host: '127.0.0.1', port: 0, token: undefined, worker_pool });
});
afterAll(async () => {
  await endpoint.close();
  await worker_pool.end();
  await db.drop();
});

describe("a worker process's own /metrics", () => {
  it("serves the worker's rounds, its pool and the process figures over HTTP", async () => {
    const log = { info: () => undefined, error: () => undefined };
    const worker = startWorker({ pool: worker_pool, clock: { now: () => new Date() }, log }, [
      { name: 'probe_ok', interval_ms: 10, run: async () => 1 },
      {
        name: 'probe_failing',
        interval_ms: 10,
        exclusive: false,
        run: () => Promise.reject(new Error('no')),
      },
    ]);
    const url = `http://127.0.0.1:${endpoint.port}/metrics`;
    const deadline = Date.now() + 10_000;
    let body = '';
    while (Date.now() < deadline) {
      body = await (await fetch(url)).text();
      // Both: the exclusive probe_ok's first round (its lock, then the task) can end after two of
      // probe_failing's, which takes no lock.
      if (
        sample(body, 'purse_worker_task_rounds_total', { task: 'probe_failing', outcome: 'failed' }) >= 2 &&
        sample(body, 'purse_worker_task_rounds_total', { task: 'probe_ok', outcome: 'ok' }) > 0
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await worker.stop();
    expect(
      sample(body, 'purse_worker_task_rounds_total', { task: 'probe_ok', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    expect(
      sample(body, 'purse_worker_task_last_success_timestamp_seconds', { task: 'probe_ok' }),
    ).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(
      sample(body, 'purse_worker_task_rounds_total', { task: 'probe_failing', outcome: 'failed' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(body, 'purse_worker_task_last_success_timestamp_seconds', { task: 'probe_failing' })).toBe(
      0,
    );
    expect(body).toMatch(/purse_worker_db_pool_connections\{state="total"\} \d+/);
    expect(body).toContain('purse_process_cpu_user_seconds_total');
    expect((await fetch(`http://127.0.0.1:${endpoint.port}/healthz`)).status).toBe(200);
  });
});
