import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../server/src/test-support/app.js';
import { runGuide } from '../../server/src/test-support/guide.js';

const package_root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

let t: TestApp;
let bin: string;
let path_before: string | undefined;
beforeAll(async () => {
  t = await createTestApp();
  // The page runs `purse-mcp` as a reader who built it does; here it is the sources, through tsx.
  bin = await mkdtemp(path.join(tmpdir(), 'purse-mcp-bin-'));
  await writeFile(
    path.join(bin, 'purse-mcp'),
    `#!/bin/sh\ncd '${package_root}' && exec '${process.execPath}' --conditions=@purse/source --import tsx src/main.ts "$@"\n`,
  );
  await chmod(path.join(bin, 'purse-mcp'), 0o755);
  path_before = process.env.PATH;
  process.env.PATH = `${bin}:${path_before ?? ''}`;
});
afterAll(async () => {
  process.env.PATH = path_before ?? '';
  await rm(bin, { recursive: true, force: true });
  await t.close();
});

describe('docs/mcp.md', () => {
  it('runs as written: balances over stdio; a transfer, a refusal and a parked approval over HTTP', async () => {
    const run = await runGuide(t, 'docs/mcp.md');
    expect(run.exchanges.filter((exchange) => exchange.status >= 400)).toEqual([
      { method: 'POST', path: '/v1/transfers', status: 403 },
    ]);
    expect(run.exchanges).toContainEqual({ method: 'POST', path: '/v1/transfers', status: 202 });
    expect(run.exchanges).toContainEqual({ method: 'GET', path: '/v1/approvals/:id', status: 200 });
  });
});
