import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { runGuide } from '../test-support/guide.js';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'purse.js');

let t: TestApp;
let bin_dir: string;
const path_before = process.env.PATH;
beforeAll(async () => {
  t = await createTestApp();
  // The page calls `purse` as a reader with the bin on PATH would: the real bin, not a copy.
  bin_dir = await mkdtemp(path.join(tmpdir(), 'purse-bin-'));
  await symlink(bin, path.join(bin_dir, 'purse'));
  process.env.PATH = `${bin_dir}:${path_before ?? ''}`;
});
afterAll(async () => {
  process.env.PATH = path_before;
  await rm(bin_dir, { recursive: true, force: true });
  await t.close();
});

describe('docs/cli.md', () => {
  it('runs its examples as written against a real server', async () => {
    const run = await runGuide(t, 'docs/cli.md');
    expect(run.stdout).toMatch(/payment\.succeeded: evt_/);
    expect(run.stdout).toContain('exit 2');
    expect(run.stdout).toContain('line 4: opening_balance has more than 2 decimal places');
    expect(run.stdout).toContain('line 5: duplicates line 2');
    const holders = await t.db.pool.query("SELECT 1 FROM holders WHERE external_id IN ('u1', 'u2')");
    expect(holders.rowCount).toBe(2);
  }, 120_000);
});
