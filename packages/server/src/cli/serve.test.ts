import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { runPurse, waitForReady } from '../test-support/process.js';

const bootstrap_key = `sk_test_${'b'.repeat(40)}`;

describe('purse serve against DATABASE_URL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('migrates, registers PURSE_BOOTSTRAP_KEY, and on SIGTERM finishes requests in flight before exiting 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = runPurse(['serve'], {
      DATABASE_URL: db.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      PURSE_BOOTSTRAP_KEY: bootstrap_key,
    });
    await waitForReady(base);
    const create = (i: number) =>
      fetch(`${base}/v1/holders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bootstrap_key}`,
          'content-type': 'application/json',
          'idempotency-key': `shutdown-${i}`,
        },
        body: JSON.stringify({ name: `h${i}` }),
      }).then(
        async (response) => ({ status: response.status, body: (await response.json()) as { id?: string } }),
        () => ({ status: 0, body: {} as { id?: string } }),
      );
    const in_flight = Array.from({ length: 40 }, (_, i) => create(i));
    await new Promise((resolve) => setTimeout(resolve, 5));
    server.child.kill('SIGTERM');
    const responses = await Promise.all(in_flight);
    expect(await server.exited, server.output()).toBe(0);
    expect(server.output()).toContain('shutdown complete');
    for (const response of responses) expect([0, 201, 503]).toContain(response.status);
    const acknowledged = responses
      .filter((response) => response.status === 201)
      .map((response) => response.body.id);
    const stored = await db.pool.query<{ id: string }>('SELECT id FROM holders');
    expect(stored.rows.map((row) => row.id).sort()).toEqual(acknowledged.sort());
    const keys = await db.pool.query('SELECT 1 FROM api_keys');
    expect(keys.rowCount).toBe(1);
  });
});

describe('purse serve stopping while a worker round waits on a slow service', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  // Issue 21: stopping an idle server logged "shutdown took too long" while stopping the worker.
  // A round of the EVM rail waited on its node (every call up to PURSE_EVM_RPC_TIMEOUT_MS, 10 s,
  // the grace itself, five steps a round) and the worker's stop waited for the round.
  it('aborts the round on SIGTERM and exits 0 well within its grace', async () => {
    const silent_node = createServer(() => undefined); // takes connections, never answers
    const asked = new Promise<void>((resolve) => silent_node.once('connection', () => resolve()));
    await new Promise<void>((resolve) => silent_node.listen(0, '127.0.0.1', resolve));
    const rpc_port = (silent_node.address() as { port: number }).port;
    const port = await freePort();
    try {
      const server = runPurse(['serve'], {
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        PURSE_BOOTSTRAP_KEY: bootstrap_key,
        PURSE_EVM_RPC_URL: `http://127.0.0.1:${rpc_port}`,
        PURSE_EVM_CHAIN_ID: '31337',
      });
      await waitForReady(`http://127.0.0.1:${port}`);
      await asked; // the rail's round is waiting for the node's answer
      const stopped_at_ms = Date.now();
      server.child.kill('SIGTERM');
      expect(await server.exited, server.output()).toBe(0);
      expect(Date.now() - stopped_at_ms).toBeLessThan(5_000);
      expect(server.output()).toContain('shutdown complete');
      expect(server.output()).not.toContain('took too long');
    } finally {
      silent_node.close();
    }
  }, 60_000);
});

describe('purse serve --json', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('writes only JSON lines on stdout, the banner with the first key among them', async () => {
    const port = await freePort();
    const server = runPurse(['serve', '--json'], {
      DATABASE_URL: db.url,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    let stdout = '';
    server.child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    await server.waitForOutput(/"msg":"purse is running"/);
    server.child.kill('SIGTERM');
    expect(await server.exited, server.output()).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const banner = lines.find((line) => line.msg === 'purse is running');
    expect(banner).toMatchObject({
      api_url: `http://127.0.0.1:${port}`,
      admin_secret: expect.stringMatching(/^sk_test_/),
    });
  }, 60_000);
});

describe('purse serve after a fatal start-up error', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  /** The exit code, or 'still running' when the process outlived `within_ms` (then it is killed). */
  async function exitWithin(server: ReturnType<typeof runPurse>, within_ms: number) {
    const timer = new Promise<'still running'>((resolve) =>
      setTimeout(() => resolve('still running'), within_ms).unref(),
    );
    const outcome = await Promise.race([server.exited, timer]);
    if (outcome === 'still running') server.child.kill('SIGKILL');
    return outcome;
  }

  it('exits non-zero, worker stopped too, when its port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const server = runPurse(['serve'], {
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        PURSE_BOOTSTRAP_KEY: bootstrap_key,
      });
      expect(await exitWithin(server, 30_000), server.output()).toBe(1);
      expect(server.output()).toContain('EADDRINUSE');
    } finally {
      taken.close();
    }
  }, 60_000);

  it('exits non-zero when PURSE_BOOTSTRAP_KEY is malformed', async () => {
    const server = runPurse(['serve'], {
      DATABASE_URL: db.url,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      PURSE_BOOTSTRAP_KEY: 'not-a-key',
    });
    expect(await exitWithin(server, 30_000), server.output()).toBe(1);
    expect(server.output()).toContain('PURSE_BOOTSTRAP_KEY must look like');
  }, 60_000);

  it('refuses to start without a usable key-encryption key, naming why with a stable code', async () => {
    const refusals = [
      [{ PURSE_KEK: '' }, 'kek_missing'],
      [{ PURSE_KEK: '', PURSE_KEK_FILE: path.join(tmpdir(), 'no-such-purse-kek') }, 'kek_missing'],
      [{ PURSE_KEK: 'c2hvcnQ=' }, 'kek_invalid'],
      // A KEK that did not wrap this database's data keys (the first test's, made with the test KEK).
      [{ PURSE_KEK: Buffer.alloc(32, 7).toString('base64') }, 'kek_mismatch'],
    ] as const;
    for (const [env, code] of refusals) {
      const server = runPurse(['serve', ...(code === 'kek_invalid' ? ['--json'] : [])], {
        DATABASE_URL: db.url,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        ...env,
      });
      expect(await exitWithin(server, 30_000), server.output()).toBe(1);
      expect(server.output()).toContain(code);
      expect(server.output()).not.toContain('purse is running');
      if (code === 'kek_missing') expect(server.output()).not.toContain('database ready');
      if (code === 'kek_invalid') expect(server.output()).toContain(`"code": "kek_invalid"`);
    }
  }, 120_000);
});

describe('purse serve with the embedded PostgreSQL', () => {
  let data_dir: string;
  beforeAll(async () => {
    data_dir = await mkdtemp(path.join(tmpdir(), 'purse-serve-'));
  });
  afterAll(() => rm(data_dir, { recursive: true, force: true }));

  it('starts its own database, prints an admin key once, keeps data across restarts and stops cleanly', async () => {
    const env = {
      PURSE_DATA_DIR: data_dir,
      PURSE_EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      // No KEK given: like the database, one is made in the data directory on first start.
      PURSE_KEK: '',
    };
    const base = `http://127.0.0.1:${env.PORT}`;
    const first = runPurse(['serve'], env);
    const [, key] = await first.waitForOutput(/Test-mode admin API key: (sk_test_\w+)/, 120_000);
    await waitForReady(base);
    const created = await fetch(`${base}/v1/holders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Persisted' }),
    });
    expect(created.status).toBe(201);
    const holder = (await created.json()) as { id: string };

    // The banner, printed once the API listens, gives the key and the database's address, and says
    // that a key-encryption key was generated, and where.
    await first.waitForOutput(new RegExp(`Key-encryption key generated: ${path.join(data_dir, 'kek')}`));
    expect((await stat(path.join(data_dir, 'kek'))).mode & 0o777).toBe(0o600);
    const [, database_url] = await first.waitForOutput(/DATABASE_URL=(postgres:\/\/purse_app:\S+)/);
    const rows = new pg.Client({ connectionString: database_url });
    await rows.connect();
    expect((await rows.query('SELECT id FROM holders')).rows).toEqual([{ id: holder.id }]);
    await rows.end();

    // A CLI command beside the running server reuses its database rather than starting another.
    const keys = runPurse(['keys', 'list', '--json'], env);
    expect(await keys.exited).toBe(0);
    expect(JSON.parse(keys.output())).toHaveLength(1);
    // So does a second process, the worker on its own, as the README says.
    const worker = runPurse(['worker'], { ...env, LOG_FORMAT: 'json' });
    await worker.waitForOutput(/"msg":"database ready"/);
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.output()).toBe(0);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const pg_up = await fetch(`http://127.0.0.1:${env.PURSE_EMBEDDED_PG_PORT}`).then(
      () => true,
      (error: Error) => !/ECONNREFUSED/.test(String(error.cause)),
    );
    expect(pg_up).toBe(false);

    const second = runPurse(['serve'], env);
    await waitForReady(base, 120_000);
    const fetched = await fetch(`${base}/v1/holders/${holder.id}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(fetched.status).toBe(200);
    // Opened with the KEK file kept from the first start.
    expect(((await fetched.json()) as { name: string }).name).toBe('Persisted');
    expect(second.output()).not.toContain('Key-encryption key generated');
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(second.output()).not.toContain('admin API key');
    expect(second.output()).not.toContain('migrations applied');
  }, 240_000);
});
