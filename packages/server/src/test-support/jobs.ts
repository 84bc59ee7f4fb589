import { job_handlers } from '../jobs/handlers.js';
import { runDueJobs } from '../jobs/queue.js';
import type { TestApp } from './app.js';

/** Moves the test clock on and runs every job then due, as the worker would; returns how many ran. */
export async function advanceAndRunJobs(t: TestApp, advance_ms: number): Promise<number> {
  t.clock.advance(advance_ms);
  let total = 0;
  for (;;) {
    const ran = await runDueJobs(t.db.pool, job_handlers, t.clock.now(), 1000);
    total += ran;
    if (ran === 0) return total;
  }
}
