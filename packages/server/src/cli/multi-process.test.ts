import type { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import {
  agentsPerProcess,
  alive,
  answeredBy,
  childPids,
  eventually,
  type FreshRequest,
  type FreshResponse,
  freshRequest,
  logLines,
  primaryLines,
  processTracker,
} from '../test-support/cluster.js';
import { createKey } from '../test-support/keys.js';
import { sample } from '../test-support/metrics.js';
import { balanceOf, funded, newWallet } from '../test-support/money.js';
import { type PurseProcess, runPurse } from '../test-support/process.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';
import { ofAccount } from '../test-support/tamper.js';

// Three API processes (`serve --processes 3`) and two workers (its own and one `purse worker`) on
// one database, as real OS processes, under load; every guarantee checked from the database.
let t: TestApp;
let receiver: Receiver;
let base: string;
let primary: PurseProcess;
let second_worker: PurseProcess;
const processes = processTracker();

beforeAll(async () => {
  t = await createTestApp();
  receiver = await startReceiver();
});
afterAll(async () => {
  processes.killAll();
  await receiver.close();
  await t.close();
});

/** Small pools: the test server is shared (docs/operations.md, "Several processes"). */
const cluster_env = (port: number) => ({
  DATABASE_URL: t.db.url,
  HOST: '127.0.0.1',
  PORT: String(port),
  LOG_FORMAT: 'json',
  PURSE_DB_POOL_SIZE_MAX: '6',
  PURSE_WORKER_DB_POOL_SIZE_MAX: '4',
  PURSE_WORKER_TICK_MS: '100',
  PURSE_EVENT_SEQUENCE_INTERVAL_MS: '50',
  PURSE_WEBHOOK_POLL_MS: '50',
  PURSE_SANDBOX_STEP_MS: '300',
});

const spend_attempts = 40;
/** The overdrawn wallet holds this many of the 1.00 transfers. */
const spend_fits = 10;
const same_key_copies = 12;
const agent_attempts = 20;
/** The agent's daily budget, in 1.00 transfers. */
const agent_budget = 5;
const bank_payments = 10;
const holds = 10;

interface Scene {
  readonly overdrawn: string;
  readonly sink: string;
  readonly idempotent_source: string;
  readonly agent_key: string;
  readonly agent_source: string;
  readonly bank_wallet: string;
  readonly hold_source: string;
}

/** Wallets and keys, made in this process before the cluster starts; the webhook endpoint first. */
async function prepare(): Promise<Scene> {
  const endpoint = await t.request({
    method: 'POST',
    url: '/v1/webhook_endpoints',
    payload: { url: receiver.url, enabled_events: ['*'] },
  });
  expect(endpoint.statusCode, endpoint.body).toBe(201);
  const agent = await createKey(t, {
    name: 'agent',
    scopes: ['transfers:write'],
    spend_policy: { limits: [{ currency: 'USD', daily_max: `${agent_budget}.00` }] },
  });
  return {
    overdrawn: await funded(t, `${spend_fits}.00`),
    sink: await newWallet(t),
    idempotent_source: await funded(t, '5.00'),
    agent_key: agent.secret,
    agent_source: await funded(t, '100.00'),
    bank_wallet: await newWallet(t),
    hold_source: await funded(t, `${holds}.00`),
  };
}

/**
 * A POST answered for good, as clients do: a lock timeout, a full queue, or a copy that found its
 * first still running (409 idempotency_key_in_use) is sent again under the same key.
 */
function answered(request: FreshRequest): Promise<FreshResponse> {
  return eventually(
    `an answer to ${request.idempotency_key}`,
    async () => {
      const response = await freshRequest(base, request);
      const again =
        response.status === 503 || (response.status === 409 && /lock_timeout|key_in_use/.test(response.body));
      return again ? undefined : response;
    },
    60_000,
  );
}

function transfer(
  scene: Scene,
  source: string,
  idempotency_key: string,
  extra: Record<string, unknown> = {},
) {
  return {
    method: 'POST',
    path: '/v1/transfers',
    key: t.test_key,
    idempotency_key,
    body: {
      source_wallet_id: source,
      destination_wallet_id: scene.sink,
      amount: '1.00',
      currency: 'USD',
      ...extra,
    },
  } as const;
}

interface Load {
  readonly spend: FreshResponse[];
  readonly same_key: FreshResponse[];
  readonly agent: FreshResponse[];
  readonly payments: FreshResponse[];
  readonly holds: FreshResponse[];
}

/**
 * Every scenario at once, each request on a connection of its own, so over all three API
 * processes; the copies of one request and the agent's transfers through agents held by each
 * process, so each process surely gets its share.
 */
async function runLoad(scene: Scene, pinned: readonly Agent[]): Promise<Load> {
  const times = (n: number, make: (i: number) => Promise<FreshResponse>) =>
    Promise.all(Array.from({ length: n }, (_, i) => make(i)));
  const bank = { type: 'bank_account', account_number: '000123456789', routing_number: '110000000' };
  const [spend, same_key, agent, payments, held] = await Promise.all([
    times(spend_attempts, (i) => answered(transfer(scene, scene.overdrawn, `spend-${i}`))),
    times(same_key_copies, (i) =>
      answered({
        ...transfer(scene, scene.idempotent_source, 'same-key', { amount: '2.00' }),
        agent: pinned[i % pinned.length] as Agent,
      }),
    ),
    times(agent_attempts, (i) =>
      answered({
        ...transfer(scene, scene.agent_source, `agent-${i}`),
        key: scene.agent_key,
        agent: pinned[i % pinned.length] as Agent,
      }),
    ),
    times(bank_payments, (i) =>
      answered({
        method: 'POST',
        path: '/v1/payments',
        key: t.test_key,
        idempotency_key: `bank-${i}`,
        body: { wallet_id: scene.bank_wallet, amount: '1.00', currency: 'USD', source: bank },
      }),
    ),
    times(holds, (i) => {
      const expires_at = new Date(Date.now() + 4_000).toISOString();
      return answered(transfer(scene, scene.hold_source, `hold-${i}`, { hold: true, expires_at }));
    }),
  ]);
  return { spend, same_key, agent, payments, holds: held };
}

async function count(sql: string, values: unknown[] = []): Promise<number> {
  return Number((await t.db.pool.query<{ n: string }>(sql, values)).rows[0]?.n);
}

/** Waits for the workers: payments settled, holds expired, every event sequenced and delivered. */
async function settle(scene: Scene): Promise<void> {
  const none = (n: number) => (n === 0 ? true : undefined);
  await eventually(
    'bank payments settled',
    async () => none(await count("SELECT count(*) AS n FROM payments WHERE status = 'processing'")),
    60_000,
  );
  await eventually(
    'holds expired',
    async () =>
      none(
        await count(
          "SELECT count(*) AS n FROM transfers WHERE source_wallet_id = $1 AND status = 'pending'",
          [scene.hold_source],
        ),
      ),
    60_000,
  );
  await eventually(
    'every event delivered',
    async () => {
      const waiting = await count(
        `SELECT (SELECT count(*) FROM events WHERE position IS NULL)
              + (SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded') AS n`,
      );
      const deliveries = await count('SELECT count(*) AS n FROM webhook_deliveries');
      return waiting === 0 && receiver.received.length >= deliveries ? true : undefined;
    },
    60_000,
  );
}

describe('three API processes and two workers on one database, under load', () => {
  let scene: Scene;
  let load: Load;
  let api_pids: number[];
  let metrics_ports: { primary: number; second_worker: number };
  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    scene = await prepare();
    metrics_ports = { primary: await freePort(), second_worker: await freePort() };
    primary = processes.start(['serve', '--processes', '3', '--json'], {
      ...cluster_env(port),
      PURSE_METRICS_PORT: String(metrics_ports.primary),
    });
    second_worker = processes.start(['worker'], {
      ...cluster_env(port),
      PURSE_METRICS_PORT: String(metrics_ports.second_worker),
    });
    await primary.waitForOutput(/"msg":"purse is running"/, 150_000);
    await second_worker.waitForOutput(/"msg":"database ready"/, 150_000);
    api_pids = childPids(primary, 'api');
    expect(api_pids).toHaveLength(3);
    const pinned = await agentsPerProcess(primary, base, t.test_key, { processes: 3, per_process: 2 });
    load = await runLoad(scene, pinned.flat());
    for (const agent of pinned.flat()) agent.destroy();
    await settle(scene);
  }, 300_000);

  it('spends a balance once: exactly the transfers it covers succeed, over all three processes', async () => {
    const statuses = load.spend.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(spend_fits);
    expect(statuses.filter((status) => status === 402)).toHaveLength(spend_attempts - spend_fits);
    expect(await answeredBy(primary, load.spend)).toEqual(new Set(api_pids));
    expect(await balanceOf(t, scene.overdrawn)).toMatchObject({ available: '0.00', held: '0.00' });
    const lowest = await t.db.pool.query<{ available: string }>(
      `SELECT min(posted_after - held_after) AS available FROM postings WHERE ${ofAccount('$1')}`,
      [scene.overdrawn],
    );
    expect(lowest.rows[0]?.available).toBe('0');
  });

  it('gives one answer per Idempotency-Key, whichever process each copy reached', async () => {
    expect(await answeredBy(primary, load.same_key)).toEqual(new Set(api_pids));
    expect(load.same_key.map((response) => response.status)).toEqual(Array(same_key_copies).fill(201));
    expect(new Set(load.same_key.map((response) => response.body)).size).toBe(1);
    expect(load.same_key.filter((response) => !response.replayed)).toHaveLength(1);
    expect(
      await count('SELECT count(*) AS n FROM transfers WHERE source_wallet_id = $1', [
        scene.idempotent_source,
      ]),
    ).toBe(1);
    expect(await balanceOf(t, scene.idempotent_source)).toMatchObject({ available: '3.00' });
  });

  it("holds a key's spend policy across processes", async () => {
    const statuses = load.agent.map((response) => response.status);
    const moved = statuses.filter((status) => status === 201).length;
    expect(statuses.filter((status) => status !== 201 && status !== 403)).toEqual([]);
    expect(await answeredBy(primary, load.agent)).toEqual(new Set(api_pids));
    // Daily budgets are UTC days: a run across midnight meets two of them.
    const days = await count(
      "SELECT count(DISTINCT (created_at AT TIME ZONE 'UTC')::date) AS n FROM transfers WHERE source_wallet_id = $1",
      [scene.agent_source],
    );
    expect(moved).toBe(Math.min(agent_attempts, agent_budget * days));
  });

  it('runs each job and each hold expiry once, although two workers run', async () => {
    expect(load.payments.map((response) => JSON.parse(response.body).status)).toEqual(
      Array(bank_payments).fill('processing'),
    );
    expect(await balanceOf(t, scene.bank_wallet)).toMatchObject({ available: `${bank_payments}.00` });
    const jobs = await t.db.pool.query<{ undone: string; runs_max: number }>(
      'SELECT count(*) FILTER (WHERE done_at IS NULL) AS undone, max(attempts) AS runs_max FROM jobs',
    );
    expect(jobs.rows[0]).toEqual({ undone: '0', runs_max: 1 });
    const once = async (type: string, ids: string[]) =>
      (
        await t.db.pool.query<{ n: string }>(
          'SELECT count(*) AS n FROM events WHERE type = $1 AND object_id = ANY($2::text[]) GROUP BY object_id',
          [type, ids],
        )
      ).rows.map((row) => row.n);
    const payment_ids = load.payments.map((response) => String(JSON.parse(response.body).id));
    expect(await once('payment.succeeded', payment_ids)).toEqual(Array(bank_payments).fill('1'));
    const hold_ids = load.holds.map((response) => String(JSON.parse(response.body).id));
    expect(load.holds.map((response) => response.status)).toEqual(Array(holds).fill(201));
    expect(await once('transfer.expired', hold_ids)).toEqual(Array(holds).fill('1'));
    expect(await balanceOf(t, scene.hold_source)).toMatchObject({ available: `${holds}.00`, held: '0.00' });
  });

  it('delivers every event to the webhook once, although two workers deliver', async () => {
    const events = await t.db.pool.query<{ id: string }>(
      'SELECT id FROM events WHERE NOT livemode ORDER BY id',
    );
    const received = new Map<string, number>();
    for (const request of receiver.received) {
      const id = String(request.headers['webhook-id']);
      received.set(id, (received.get(id) ?? 0) + 1);
    }
    // At least each transfer, each hold's expiry and each bank payment's success.
    expect(events.rows.length).toBeGreaterThan(spend_fits + 1 + agent_budget + 2 * holds + bank_payments);
    expect([...received.keys()].sort()).toEqual(events.rows.map((row) => row.id));
    expect([...received.values()].filter((times) => times !== 1)).toEqual([]);
    const attempts = await t.db.pool.query(
      "SELECT 1 FROM webhook_deliveries WHERE attempts <> 1 OR status <> 'succeeded'",
    );
    expect(attempts.rowCount).toBe(0);
  });

  it("serves every process's metrics combined on the primary's port, the database-wide ones once", async () => {
    const posted = await count(
      "SELECT coalesce(sum(count), 0) AS n FROM event_counters WHERE NOT livemode AND type = 'transfer.posted'",
      [],
    );
    expect(posted).toBeGreaterThanOrEqual(spend_fits + 1 + agent_budget);
    const scrape = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // Each API process reads the database-wide figures at most every 5 s: wait for fresh ones.
    const combined = await eventually(
      'combined metrics with every posted transfer',
      async () => {
        const body = await scrape(metrics_ports.primary);
        return sample(body, 'purse_transfers_total', { mode: 'test', status: 'posted' }) === posted
          ? body
          : undefined;
      },
      20_000,
    );
    // Three API processes answered the load: their request counts add up, none is lost or doubled.
    const transfer_posts = sample(combined, 'purse_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/v1/transfers',
    });
    expect(transfer_posts).toBeGreaterThanOrEqual(spend_attempts + same_key_copies + agent_attempts);
    expect(sample(combined, 'purse_worker_task_rounds_total')).toBeGreaterThan(0);
    const worker = await scrape(metrics_ports.second_worker);
    expect(sample(worker, 'purse_worker_task_rounds_total')).toBeGreaterThan(0);
    expect(worker).toMatch(/purse_worker_db_pool_connections\{state="total"\} \d+/);
  });

  it('restarts an API process that dies, and serves on all three', async () => {
    const [victim = 0, ...survivors] = api_pids;
    process.kill(victim, 'SIGKILL');
    const replacement = await eventually(
      'a replacement API process, ready',
      async () =>
        logLines(primary.output()).find(
          (line) => line.msg === 'api process ready' && !api_pids.includes(Number(line.child_pid)),
        )?.child_pid,
      120_000,
    );
    const exited = logLines(primary.output()).find(
      (line) => line.msg === 'api process exited: restarting it',
    );
    expect(exited).toMatchObject({ child_pid: victim, signal: 'SIGKILL' });
    const reads = await Promise.all(
      Array.from({ length: 6 }, () =>
        freshRequest(base, { method: 'GET', path: `/v1/wallets/${scene.sink}`, key: t.test_key }),
      ),
    );
    expect(reads.map((response) => response.status)).toEqual(Array(6).fill(200));
    expect(await answeredBy(primary, reads)).toEqual(new Set([...survivors, Number(replacement)]));
  }, 150_000);

  it('on SIGTERM stops the API processes, then the worker, and exits 0; the ledger verifies', async () => {
    primary.child.kill('SIGTERM');
    expect(await primary.exited, primary.output()).toBe(0);
    const own = primaryLines(primary).map((line) => line.msg);
    const api_stopped = own.lastIndexOf('api process stopped');
    expect(own.filter((msg) => msg === 'api process stopped')).toHaveLength(3);
    expect(api_stopped).toBeGreaterThan(-1);
    expect(own.indexOf('worker process stopped')).toBeGreaterThan(api_stopped);
    for (const pid of [...childPids(primary, 'api'), ...childPids(primary, 'worker')])
      expect(alive(pid)).toBe(false);
    second_worker.child.kill('SIGTERM');
    expect(await second_worker.exited).toBe(0);
    const verify = runPurse(['verify'], { DATABASE_URL: t.db.url });
    expect(await verify.exited, verify.output()).toBe(0);
    expect(verify.output()).toContain('every invariant holds');
  }, 60_000);
});
