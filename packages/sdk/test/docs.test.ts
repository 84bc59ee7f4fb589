import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequenceEvents } from '../../server/src/events/sequencer.js';
import { systemClock } from '../../server/src/shared/clock.js';
import { createTestApp, type TestApp } from '../../server/src/test-support/app.js';
import { runGuide } from '../../server/src/test-support/guide.js';
import { DeliveryRunner } from '../../server/src/webhooks/delivery-runner.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/**
 * What `purse serve`'s worker does, in the background while a guide runs: order events (for the
 * stream) and send their webhooks. Returns a function that stops it.
 */
function startWorker(): () => Promise<void> {
  const runner = new DeliveryRunner({
    pool: t.db.pool,
    clock: systemClock,
    config: t.config.webhooks,
    log: { error: () => undefined },
  });
  let running = true;
  const loop = (async () => {
    while (running) {
      await sequenceEvents(t.db.pool, 1_000, systemClock.now());
      await runner.poll();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
    await runner.stop();
  };
}

describe('docs/sdk.md', () => {
  it('runs every TypeScript example as written against a real server', { timeout: 240_000 }, async () => {
    const stop = startWorker();
    try {
      const run = await runGuide(t, 'docs/sdk.md');
      const refused = run.exchanges
        .filter((e) => e.status >= 400)
        .map((e) => `${e.method} ${e.path} ${e.status}`);
      // The two refusals the errors example shows on purpose.
      expect(refused).toEqual(['POST /v1/transfers 402', 'GET /v1/wallets/:id 404']);
      expect(run.stdout).toContain('Alice has 75.00 USD');
      expect(run.stdout).toContain('Grace confirmed: 200.00 EUR left');
      expect(run.stdout).toContain('no such wallet');
      expect(run.stdout).toMatch(
        /INV-TEST-\d+ subscription_cycle 10\.00 paid\nINV-TEST-\d+ subscription_create 10\.00 paid\n/,
      );
    } finally {
      await stop();
    }
  });
});
