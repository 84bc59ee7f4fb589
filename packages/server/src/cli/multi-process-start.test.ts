import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import {
  alive,
  answeredBy,
  childPids,
  freshRequest,
  logLines,
  primaryLines,
  processTracker,
} from '../test-support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';

// `serve --processes` starting and failing to start; under load it is multi-process.test.ts.
let db: TestDatabase;
const processes = processTracker();
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  processes.killAll();
  await db.drop();
});

/** A certificate for 127.0.0.1 and its key, made with openssl in `dir`. */
function selfSignedCertificate(dir: string): { cert_path: string; key_path: string } {
  const cert_path = path.join(dir, 'cert.pem');
  const key_path = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2']
      .concat(['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
      .concat(['-keyout', key_path, '-out', cert_path]),
    { stdio: 'ignore' },
  );
  return { cert_path, key_path };
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('serve --processes with the embedded PostgreSQL', () => {
  let data_dir: string;
  beforeAll(async () => {
    data_dir = await mkdtemp(path.join(tmpdir(), 'purse-processes-'));
  });
  afterAll(() => rm(data_dir, { recursive: true, force: true }));

  it('starts the database and prints the banner once, its children share the KEK and serve HTTPS, and it stops them before the database', async () => {
    const tls = selfSignedCertificate(data_dir);
    const env = {
      TLS_CERT: tls.cert_path,
      TLS_KEY: tls.key_path,
      PURSE_DATA_DIR: data_dir,
      PURSE_EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      PURSE_KEK: '',
      // 2 x 100 + 10 + 1 connections, more than the embedded server's 200 less 3 reserved.
      PURSE_DB_POOL_SIZE_MAX: '100',
    };
    const run = processes.start(['serve', '--processes', '2', '--json'], env);
    await run.waitForOutput(/"msg":"purse is running"/, 200_000);
    const lines = logLines(run.output());
    const banners = lines.filter((line) => line.msg === 'purse is running');
    expect(banners).toEqual([
      expect.objectContaining({
        api_url: `https://127.0.0.1:${env.PORT}`,
        admin_secret: expect.stringMatching(/^sk_test_/),
        database_url: expect.stringMatching(/^postgres:\/\/purse_app:/),
        kek_file_created: path.join(data_dir, 'kek'),
        processes: { api: 2, worker: 1, primary_pid: run.child.pid },
      }),
    ]);
    expect(lines.filter((line) => line.msg === 'generated a key-encryption key')).toHaveLength(1);
    expect(lines.find((line) => String(line.msg).startsWith('the pools may open more'))).toMatchObject({
      needed: 211,
      available: 197,
    });
    // A holder's name is sealed by one API process and read back through both.
    const api = `https://127.0.0.1:${env.PORT}`;
    const key = String(banners[0]?.admin_secret);
    const ca = await readFile(tls.cert_path);
    const created = await freshRequest(api, {
      method: 'POST',
      path: '/v1/holders',
      key,
      ca,
      body: { name: 'Sealed once' },
    });
    expect(created.status, created.body).toBe(201);
    const path_of = `/v1/holders/${JSON.parse(created.body).id}`;
    const reads = await Promise.all(
      [0, 1].map(() => freshRequest(api, { method: 'GET', path: path_of, key, ca })),
    );
    expect(reads.map((read) => JSON.parse(read.body).name)).toEqual(['Sealed once', 'Sealed once']);
    expect((await answeredBy(run, [created, ...reads])).size).toBe(2);

    run.child.kill('SIGTERM');
    expect(await run.exited, run.output()).toBe(0);
    const own = primaryLines(run);
    const stopped = (part: string) => own.findIndex((line) => line.msg === 'stopped' && line.part === part);
    expect(own.filter((line) => line.msg === 'api process stopped')).toHaveLength(2);
    expect(stopped('api processes')).toBeGreaterThan(-1);
    expect(stopped('api processes')).toBeLessThan(stopped('worker process'));
    expect(stopped('worker process')).toBeLessThan(stopped('database'));
    expect(await portAnswers(Number(env.PURSE_EMBEDDED_PG_PORT))).toBe(false);
  }, 300_000);
});

describe('serve --processes when a child cannot start', () => {
  it('restarts it with a growing delay, then gives up, stops the rest and exits 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const run = processes.start(['serve', '--processes', '1'], {
        DATABASE_URL: db.url,
        PORT: String((taken.address() as { port: number }).port),
        HOST: '127.0.0.1',
        LOG_FORMAT: 'json',
      });
      expect(await run.exited, run.output()).toBe(1);
      expect(run.output()).toContain('EADDRINUSE');
      const restarts = logLines(run.output()).filter(
        (line) => line.msg === 'api process exited: restarting it',
      );
      expect(restarts.map((line) => line.restart_in_ms)).toEqual([500, 1_000, 2_000]);
      const own = primaryLines(run).map((line) => line.msg);
      expect(own).toContain('api process keeps crashing: giving up');
      expect(own).toContain('worker process stopped');
      expect(run.output()).not.toContain('Purse is running');
      for (const pid of [...childPids(run, 'api'), ...childPids(run, 'worker')])
        expect(alive(pid)).toBe(false);
    } finally {
      taken.close();
    }
  }, 240_000);
});
