import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import { type AutoFailover, autoFailoverMissing, startAutoFailover } from '../test-support/auto-failover.js';
import { type PurseProcess, runPurse, waitForReady } from '../test-support/process.js';
import { type Acknowledged, TransferLoad } from '../test-support/transfer-load.js';
import { createPool, type Pool } from './pool.js';
import { ReplicaRouter } from './replica.js';

/**
 * Purse on a pg_auto_failover formation (a monitor, a primary, a synchronous standby) through
 * multi-host URLs: heavy reads go to the standby while it is fresh, and when the primary's machine
 * dies under load, the standby is promoted, Purse follows it, and no acknowledged transfer is lost.
 */

const missing = autoFailoverMissing();
if (missing !== undefined) console.warn(`failover.test.ts skipped: ${missing}`);

const key = 'sk_test_highavailability0000000000';
const lanes = 6;
const funded_minor = 1_000_000n;

let cluster: AutoFailover;
let server: PurseProcess;
let base: string;
let env: Record<string, string>;

async function superuser<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function api(method: string, path: string, body?: unknown, idempotency_key?: string): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(idempotency_key === undefined ? {} : { 'idempotency-key': idempotency_key }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function created(path: string, body: unknown): Promise<{ id: string }> {
  const response = await api('POST', path, body);
  const json = (await response.json()) as { id: string };
  expect(response.status, JSON.stringify(json)).toBe(201);
  return json;
}

beforeAll(async () => {
  if (missing !== undefined) return;
  cluster = await startAutoFailover();
  // The schema owner and the application role (docs/operations.md, "Database roles"); roles and
  // databases reach the standby through replication like everything else.
  await superuser(cluster.nodeUrl('node1'), async (admin) => {
    await admin.query('CREATE ROLE purse_owner LOGIN');
    await admin.query('CREATE ROLE purse_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS');
    await admin.query('CREATE DATABASE purse OWNER purse_owner');
  });
  const port = String(await freePort());
  base = `http://127.0.0.1:${port}`;
  env = {
    DATABASE_URL: cluster.url('purse_app', 'read-write'),
    DATABASE_MIGRATION_URL: cluster.url('purse_owner', 'read-write'),
    DATABASE_REPLICA_URL: cluster.url('purse_app', 'standby'),
    PURSE_BOOTSTRAP_KEY: key,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // A request waits at most this for a connection: short, so a dead primary answers 503 quickly.
    PURSE_DB_CONNECTION_TIMEOUT_MS: '2000',
  };
  server = runPurse(['serve'], { ...env, PORT: port });
  await waitForReady(base);
}, 150_000);

afterAll(async () => {
  server?.child.kill('SIGKILL');
  await cluster?.close();
}, 60_000);

async function until(done: () => boolean, timeout_ms: number): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Every acknowledged transfer is in `db` with its amount, at most one more per lane (a request in
 * flight when the load stopped), the balances add up, and the worker has ordered every event.
 */
async function expectKept(
  db: pg.Client,
  source: string,
  destinations: readonly string[],
  acknowledged: ReadonlyMap<string, Acknowledged>,
): Promise<void> {
  const stored = await db.query<{ id: string; amount_minor: string }>(
    'SELECT id, amount::text AS amount_minor FROM transfers WHERE source_wallet_id = $1',
    [source],
  );
  const amounts = new Map(stored.rows.map((row) => [row.id, BigInt(row.amount_minor)]));
  const lost = [...acknowledged.values()].filter(
    (transfer) => amounts.get(transfer.id) !== transfer.amount_minor,
  );
  expect(lost).toEqual([]);
  expect(stored.rows.length - acknowledged.size).toBeLessThanOrEqual(destinations.length);
  const moved = [...amounts.values()].reduce((sum, amount) => sum + amount, 0n);
  const balances = await db.query<{ id: string; balance: string }>(
    'SELECT id, (posted_credits - posted_debits)::text AS balance FROM accounts WHERE id = ANY($1)',
    [[source, ...destinations]],
  );
  const balance = new Map(balances.rows.map((row) => [row.id, BigInt(row.balance)]));
  expect(balance.get(source)).toBe(funded_minor - moved);
  expect(destinations.reduce((sum, id) => sum + (balance.get(id) ?? 0n), 0n)).toBe(moved);
  // The worker, on its own pool, followed too.
  const unsequenced = async () =>
    (await db.query('SELECT 1 FROM events WHERE position IS NULL LIMIT 1')).rowCount;
  const deadline = Date.now() + 15_000;
  while ((await unsequenced()) !== 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await unsequenced(), server.output()).toBe(0);
}

describe.skipIf(missing !== undefined)('PostgreSQL high availability with pg_auto_failover', () => {
  it('the standby is synchronous: every commit waits for it', async () => {
    await superuser(cluster.nodeUrl('node1'), async (admin) => {
      const names = await admin.query<{ names: string }>(
        "SELECT current_setting('synchronous_standby_names') AS names",
      );
      expect(names.rows[0]?.names).toMatch(/pgautofailover_standby_2/);
      const commit = await admin.query<{ level: string }>(
        "SELECT current_setting('synchronous_commit') AS level",
      );
      expect(commit.rows[0]?.level).toBe('on');
      const replication = await admin.query<{ sync_state: string }>(
        'SELECT sync_state FROM pg_stat_replication',
      );
      expect(replication.rows.map((row) => row.sync_state)).toEqual(['quorum']);
    });
  });

  it('heavy reads go to the standby while fresh; to the primary when it lags, fails, or cannot be reached', async () => {
    const primary = createPool(cluster.url('purse_app', 'read-write'), 2);
    const replica = createPool(cluster.url('purse_app', 'standby'), 2);
    const unreachable = createPool(`postgres://purse_app@127.0.0.1:${await freePort()}/purse`, 1, {
      statement_timeout_ms: 0,
      connection_timeout_ms: 1_000,
    });
    const max_lag_ms = 1_000;
    const router = new ReplicaRouter(primary, replica, max_lag_ms).start();
    const nowhere = new ReplicaRouter(primary, unreachable, max_lag_ms).start();
    const served_by = (pool: Pool) =>
      pool
        .query<{ port: number }>('SELECT inet_server_port() AS port')
        .then((result) => result.rows[0]?.port);
    try {
      await until(() => (router.lagMs() ?? Number.POSITIVE_INFINITY) <= max_lag_ms, 15_000);
      expect(await router.run(served_by)).toBe(cluster.ports.node2);

      // Replay paused on the standby while the primary writes: the measured lag passes the bound.
      await superuser(cluster.nodeUrl('node2'), (standby) => standby.query('SELECT pg_wal_replay_pause()'));
      try {
        await superuser(cluster.nodeUrl('node1'), (admin) =>
          admin.query('CREATE TABLE replay_probe (x int); DROP TABLE replay_probe'),
        );
        await until(() => (router.lagMs() ?? Number.POSITIVE_INFINITY) > max_lag_ms, 15_000);
        expect(router.lagMs()).toBeGreaterThan(max_lag_ms);
        expect(await router.run(served_by)).toBe(cluster.ports.node1);
      } finally {
        await superuser(cluster.nodeUrl('node2'), (standby) =>
          standby.query('SELECT pg_wal_replay_resume()'),
        );
      }
      await until(() => (router.lagMs() ?? Number.POSITIVE_INFINITY) <= max_lag_ms, 15_000);
      expect(await router.run(served_by)).toBe(cluster.ports.node2);

      // A read whose replica connection dies is run again on the primary.
      const answer = await router.run(async (pool) => {
        if (pool === replica) await pool.query('SELECT pg_terminate_backend(pg_backend_pid())');
        return served_by(pool);
      });
      expect(answer).toBe(cluster.ports.node1);

      await new Promise((resolve) => setTimeout(resolve, max_lag_ms));
      expect(nowhere.lagMs()).toBeUndefined();
      expect(await nowhere.run(served_by)).toBe(cluster.ports.node1);
    } finally {
      router.close();
      nowhere.close();
      await Promise.all([primary.end(), replica.end(), unreachable.end()]);
    }
  }, 60_000);

  it("Purse's heavy reads run on the standby (read-only) as they are, and go there", async () => {
    for (const path of [
      '/v1/reports/trial_balance',
      '/v1/reports/overview',
      '/v1/reports/fx',
      '/v1/search?q=hol_',
      '/v1/audit_logs',
    ]) {
      const response = await api('GET', path);
      expect(response.status, `${path} ${await response.text()}`).toBe(200);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const replica_reads = Number(/purse_db_reads_total\{pool="replica"\} (\d+)/.exec(metrics)?.[1] ?? '0');
    expect(replica_reads, metrics).toBeGreaterThan(0);
  }, 60_000);

  it('killing the primary under load: the standby is promoted, Purse follows, no acknowledged transfer is lost, verify passes', async () => {
    const source = await created('/v1/wallets', { currency: 'USD' });
    await created('/v1/payments', {
      wallet_id: source.id,
      amount: '10000.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    });
    const destinations = await Promise.all(
      Array.from({ length: lanes }, () => created('/v1/wallets', { currency: 'USD' })),
    );

    const load = new TransferLoad({
      base_url: base,
      key,
      source_wallet_id: source.id,
      destination_wallet_ids: destinations.map((destination) => destination.id),
    });
    try {
      await until(() => load.acknowledged.size >= 200, 30_000);
      const before_kill = load.acknowledged.size;
      expect(before_kill, server.output()).toBeGreaterThanOrEqual(200);

      const killed_at_ms = Date.now();
      cluster.kill('node1');
      await cluster.waitFor({ node2: 'wait_primary' }, 90_000);
      const promoted_ms = Date.now() - killed_at_ms;
      await until(() => load.firstAcknowledgedSentAfter(killed_at_ms) !== undefined, 60_000);
      const window_ms = (load.firstAcknowledgedSentAfter(killed_at_ms) ?? Number.NaN) - killed_at_ms;
      expect(window_ms, `${server.output()}\n${cluster.output()}`).toBeGreaterThan(0);
      // And on for a while on the new primary.
      const after_recovery = load.acknowledged.size;
      await until(() => load.acknowledged.size >= after_recovery + 100, 30_000);
      await load.stop();
      console.info(
        `failover: promoted ${promoted_ms} ms after the kill; writes unavailable for ${window_ms} ms; ` +
          `${load.acknowledged.size} transfers acknowledged (${before_kill} before the kill); statuses ${JSON.stringify([...load.statuses])}`,
      );
      expect(load.acknowledged.size).toBeGreaterThan(after_recovery);
      // A dead database is 503 (retry as it is), never a 500; 0 is a request cut mid-flight.
      for (const status of load.statuses.keys()) expect([0, 201, 503], server.output()).toContain(status);
    } finally {
      await load.stop();
    }
    await superuser(cluster.nodeUrl('node2', 'purse'), (db) =>
      expectKept(
        db,
        source.id,
        destinations.map((destination) => destination.id),
        load.acknowledged,
      ),
    );

    const verify = runPurse(['verify'], env);
    expect(await verify.exited, verify.output()).toBe(0);
    expect(verify.output()).toContain('every invariant holds');
  }, 180_000);
});
