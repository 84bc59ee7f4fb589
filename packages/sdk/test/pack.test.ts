import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServer, startServer } from './server.js';

const run = promisify(execFile);
const sdk_root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const repository_root = path.join(sdk_root, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const step_timeout_ms = 240_000;

let server: LiveServer;
let project: string;
beforeAll(async () => {
  server = await startServer();
  project = await mkdtemp(path.join(tmpdir(), 'purse-sdk-consumer-'));
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
  await server.close();
});

const consumer_script = `
import { Purse, NotFoundError } from '@purse/sdk';

const purse = new Purse(process.env.PURSE_KEY, { baseUrl: process.env.PURSE_URL });
const wallet = await purse.wallets.create({ currency: 'USD', metadata: { from: 'packed sdk' } });
const listed = [];
for await (const item of purse.wallets.list({ limit: 1 })) listed.push(item.id);
const missing = await purse.wallets.retrieve('wal_00000000000000000000000000').catch((error) => error);
console.log(JSON.stringify({ wallet: wallet.id, listed, not_found: missing instanceof NotFoundError }));
`;

const consumer_types = `
import { Purse, type ProblemCode } from '@purse/sdk';

const purse = new Purse('sk_test_x', { baseUrl: 'http://localhost:8080', max_retries: 2 });
export async function typed(): Promise<string> {
  const wallet = await purse.wallets.create({ currency: 'USD' });
  const code: ProblemCode = 'insufficient_funds';
  return wallet.balance.available + code;
}
`;

describe('the packed SDK', () => {
  it('installs from its tarball into a fresh project, with no dependency, and works there', {
    timeout: 4 * step_timeout_ms,
  }, async () => {
    await run(npm, ['run', 'build'], { cwd: sdk_root, timeout: step_timeout_ms });
    const packed = await run(npm, ['pack', '--json', '--pack-destination', project], {
      cwd: sdk_root,
      timeout: step_timeout_ms,
    });
    const [tarball] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    if (tarball === undefined) throw new Error(`npm pack said ${packed.stdout}`);
    expect(tarball.files.map((file) => file.path)).toContain('dist/index.js');
    expect(tarball.files.some((file) => file.path.startsWith('src/') || file.path.startsWith('test/'))).toBe(
      false,
    );

    await writeFile(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    // Offline: the SDK has no runtime dependency, so nothing else needs to be fetched.
    await run(
      npm,
      ['install', '--offline', '--no-audit', '--no-fund', path.join(project, tarball.filename)],
      {
        cwd: project,
        timeout: step_timeout_ms,
      },
    );
    const installed = JSON.parse(
      await readFile(path.join(project, 'node_modules/@purse/sdk/package.json'), 'utf8'),
    );
    expect(installed.dependencies ?? {}).toEqual({});

    await writeFile(path.join(project, 'main.mjs'), consumer_script);
    const output = await run(process.execPath, ['main.mjs'], {
      cwd: project,
      env: { ...process.env, PURSE_URL: server.base_url, PURSE_KEY: server.t.test_key },
      timeout: step_timeout_ms,
    });
    const result = JSON.parse(output.stdout) as { wallet: string; listed: string[]; not_found: boolean };
    expect(result.wallet).toMatch(/^wal_/);
    expect(result.listed).toContain(result.wallet);
    expect(result.not_found).toBe(true);

    // Its types ship too: a strict TypeScript consumer compiles against the installed package.
    await writeFile(path.join(project, 'typed.ts'), consumer_types);
    const tsc = path.join(repository_root, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2023',
        '--types',
        'node',
        '--typeRoots',
        path.join(repository_root, 'node_modules', '@types'),
        'typed.ts',
      ],
      { cwd: project, timeout: step_timeout_ms },
    );
  });
});
