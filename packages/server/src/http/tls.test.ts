import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createTestApp, type TestApp } from '../test-support/app.js';

let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await createTestApp();
  dir = await mkdtemp(path.join(tmpdir(), 'purse-tls-'));
});
afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

function get(
  url: string,
  ca: Buffer,
  key: string,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { ca, headers: { authorization: `Bearer ${key}` } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('HTTPS', () => {
  it('serves HTTPS only when TLS_CERT and TLS_KEY are given, with the security headers', async () => {
    const cert_path = path.join(dir, 'cert.pem');
    const key_path = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key_path,
        '-out',
        cert_path,
      ],
      { stdio: 'ignore' },
    );
    const config = loadConfig({ DATABASE_URL: t.db.url, TLS_CERT: cert_path, TLS_KEY: key_path });
    expect(config.tls).toEqual({ cert_path, key_path });
    expect(() => loadConfig({ TLS_CERT: cert_path })).toThrow(/go together/);
    expect(() => loadConfig({ TLS_CLIENT_CA: cert_path })).toThrow(/needs TLS_CERT/);
    const cert = await readFile(cert_path);
    const app = await buildApp({
      pool: t.db.pool,
      config: t.config,
      clock: t.clock,
      tls: { cert, key: await readFile(key_path) },
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(base).toMatch(/^https:/);
      const response = await get(`${base}/v1/assets`, cert, t.test_key);
      expect(response.status).toBe(200);
      expect(response.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      const plain = await fetch(`${base.replace('https', 'http')}/v1/assets`).then(
        (r) => r.status,
        () => 'refused',
      );
      expect(plain).not.toBe(200);
    } finally {
      await app.close();
    }
  });
});
