import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { dashboard_csp } from './assets.js';

let dir: string;
let t: TestApp;
let missing: TestApp;
beforeAll(async () => {
  // A stand-in for the Vite build: the server serves whatever files the build left.
  dir = await mkdtemp(path.join(tmpdir(), 'purse-dashboard-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Purse dashboard</title>');
  await writeFile(path.join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  t = await createTestApp({}, {}, {}, {}, { dashboard_dir: dir });
  missing = await createTestApp({}, {}, {}, {}, { dashboard_dir: path.join(dir, 'nowhere') });
});
afterAll(async () => {
  await t.close();
  await missing.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the dashboard served at /dashboard', () => {
  it('answers index.html, never stored, under a strict CSP, for the root and every client route', async () => {
    for (const url of [
      '/dashboard',
      '/dashboard/',
      '/dashboard/wallets/wal_123',
      '/dashboard/search?q=a%40b.c',
    ]) {
      const response = await t.request({ method: 'GET', url, key: null });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-security-policy']).toBe(dashboard_csp);
      expect(response.body).toContain('<title>Purse dashboard</title>');
    }
    expect(dashboard_csp).not.toContain('unsafe-inline');
  });

  it('caches the hashed files for a year and answers a missing one 404, not the page', async () => {
    const file = await t.request({ method: 'GET', url: '/dashboard/assets/index-AbC123.js', key: null });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toMatch(/javascript/);
    expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gone = await t.request({ method: 'GET', url: '/dashboard/assets/index-Old999.js', key: null });
    expect(gone.statusCode).toBe(404);
    expect(gone.body).not.toContain('<title>');
  });

  it('leaves the session routes to the operators module and the API its own headers', async () => {
    const session = await t.request({ method: 'GET', url: '/dashboard/session', key: null });
    expect(session.statusCode).toBe(401);
    expect(session.json()).toMatchObject({ code: 'session_required' });
    const api = await t.request({ method: 'GET', url: '/v1/wallets' });
    expect(api.headers['content-security-policy']).not.toBe(dashboard_csp);
  });

  it('says how to build it when there is no build', async () => {
    const response = await missing.request({ method: 'GET', url: '/dashboard/wallets', key: null });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('npm run build');
  });
});
