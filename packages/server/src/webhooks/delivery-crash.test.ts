import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { runPurse } from '../test-support/process.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';

let t: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  t = await createTestApp();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

const worker_env = () => ({
  DATABASE_URL: t.db.url,
  LOG_LEVEL: 'warn',
  PURSE_WEBHOOK_TIMEOUT_MS: '1000',
  PURSE_WEBHOOK_POLL_MS: '50',
  PURSE_EVENT_SEQUENCE_INTERVAL_MS: '50',
  PURSE_WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2',
});

describe('crash safety of delivery', () => {
  it('after kill -9 of the worker mid-delivery, every event still arrives, with its webhook-id', async () => {
    const endpoint = await t.request({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      payload: { url: receiver.url, enabled_events: ['holder.created'] },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    // Every request hangs until the first worker is dead; then the receiver answers.
    let worker_killed = false;
    receiver.answer(() => (worker_killed ? { status: 200 } : 'hang'));
    const holders: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const created = await t.request({
        method: 'POST',
        url: '/v1/holders',
        payload: { name: `Crash ${i}` },
      });
      holders.push(created.json().id);
    }
    const first = runPurse(['worker'], worker_env());
    await receiver.waitFor(1, 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    worker_killed = true;
    const in_flight = new Set(receiver.received.map((request) => String(request.headers['webhook-id'])));
    expect(in_flight.size).toBeGreaterThan(0);

    const second = runPurse(['worker'], worker_env());
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const pending = await t.db.pool.query("SELECT 1 FROM webhook_deliveries WHERE status <> 'succeeded'");
        const all = await t.db.pool.query('SELECT 1 FROM webhook_deliveries');
        if (all.rowCount === 20 && pending.rowCount === 0) break;
        if (Date.now() > deadline) throw new Error(`deliveries not done; worker output:\n${second.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
    const events = await t.db.pool.query<{ id: string; object_id: string }>(
      "SELECT id, object_id FROM events WHERE type = 'holder.created' AND object_id = ANY($1::text[])",
      [holders],
    );
    const delivered = new Set(receiver.received.map((request) => String(request.headers['webhook-id'])));
    expect(events.rows).toHaveLength(20);
    for (const event of events.rows) expect(delivered.has(event.id), event.object_id).toBe(true);
    // The attempts cut off by the kill were sent again after their lease, under the same webhook-id.
    for (const id of in_flight) {
      const answered = receiver.received.filter((request) => request.headers['webhook-id'] === id);
      expect(answered.length, id).toBeGreaterThanOrEqual(2);
    }
  }, 90_000);
});
