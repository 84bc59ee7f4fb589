import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { fund, newWallet } from '../test-support/money.js';
import { runPurse, waitForReady } from '../test-support/process.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const transfers_total = 300;
const concurrency = 8;
const cuts = 5;

interface Sent {
  readonly status: number;
  readonly id: string | undefined;
}

function send(base: string, source: string, destination: string, key: string): Promise<Sent> {
  return fetch(`${base}/v1/transfers`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.test_key}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify({
      source_wallet_id: source,
      destination_wallet_id: destination,
      amount: '0.01',
      currency: 'USD',
    }),
  }).then(
    async (response) => ({
      status: response.status,
      id: response.status === 201 ? ((await response.json()) as { id: string }).id : undefined,
    }),
    () => ({ status: 0, id: undefined }),
  );
}

/** Terminates every other backend of the test database: the server's API and worker connections alike. */
async function cutConnections(admin: pg.Client): Promise<number> {
  const result = await admin.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return result.rowCount ?? 0;
}

describe('cut database connections', () => {
  it('the server survives its backends being terminated under load and when idle, loses no acknowledged transfer, and verify passes', async () => {
    const [source, destination] = [await newWallet(t), await newWallet(t)];
    await fund(t, source, '1000.00');
    const env = { DATABASE_URL: t.db.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    const port = String(await freePort());
    const base = `http://127.0.0.1:${port}`;
    const server = runPurse(['serve'], { ...env, PORT: port });
    await waitForReady(base);
    const admin = new pg.Client({ connectionString: t.db.url, application_name: 'purse-fault-test' });
    await admin.connect();
    try {
      const acknowledged = new Map<string, string>();
      const statuses = new Map<number, number>();
      let next = 0;
      const lane = async () => {
        while (next < transfers_total) {
          const key = `fault-${next++}`;
          const sent = await send(base, source, destination, key);
          statuses.set(sent.status, (statuses.get(sent.status) ?? 0) + 1);
          if (sent.id !== undefined) acknowledged.set(key, sent.id);
        }
      };
      const streaming = Promise.all(Array.from({ length: concurrency }, lane));
      let terminated = 0;
      for (let cut = 1; cut <= cuts; cut += 1) {
        while (next < (transfers_total * cut) / (cuts + 1)) await new Promise((r) => setTimeout(r, 5));
        terminated += await cutConnections(admin);
      }
      await streaming;
      expect(terminated).toBeGreaterThan(cuts);

      // Idle: every pooled connection of the API and the worker dies between requests.
      await new Promise((r) => setTimeout(r, 300));
      await cutConnections(admin);
      await new Promise((r) => setTimeout(r, 300));
      expect(server.child.exitCode, server.output()).toBeNull();
      // Still serving: a request after the cuts succeeds (a dead pooled connection is replaced).
      const after = await send(base, source, destination, 'fault-after');
      expect(after.status, server.output()).toBe(201);
      if (after.id !== undefined) acknowledged.set('fault-after', after.id);
      // And the worker, on its own pool, reconnected: it still orders every new event.
      const unsequenced = async () =>
        (await t.db.pool.query('SELECT 1 FROM events WHERE position IS NULL LIMIT 1')).rowCount;
      const deadline = Date.now() + 15_000;
      while ((await unsequenced()) !== 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(await unsequenced(), server.output()).toBe(0);

      // A request whose connection was cut is answered 503 (retry as it is), never 500; most succeed.
      for (const status of statuses.keys()) expect([201, 503], server.output()).toContain(status);
      expect(acknowledged.size).toBeGreaterThan(transfers_total / 2);
      const stored = await t.db.pool.query<{ id: string }>(
        'SELECT id FROM transfers WHERE source_wallet_id = $1',
        [source],
      );
      const stored_ids = new Set(stored.rows.map((row) => row.id));
      for (const [key, id] of acknowledged) expect(stored_ids.has(id), `${key} ${id}`).toBe(true);

      server.child.kill('SIGTERM');
      expect(await server.exited, server.output()).toBe(0);
      const verify = runPurse(['verify'], env);
      expect(await verify.exited, verify.output()).toBe(0);
      expect(verify.output()).toContain('every invariant holds');
    } finally {
      await admin.end();
      server.child.kill('SIGKILL');
    }
  }, 180_000);
});
