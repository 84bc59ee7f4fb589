import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const sdk_root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const committed = path.join(sdk_root, 'src', 'generated', 'openapi.ts');
const cli = path.join(
  path.dirname(createRequire(import.meta.url).resolve('openapi-typescript/package.json')),
  'bin',
  'cli.js',
);

describe('the generated types', () => {
  it('are what openapi-typescript makes of the committed openapi.json (run `npm run generate -w @purse/sdk`)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'purse-sdk-types-'));
    try {
      const fresh = path.join(dir, 'openapi.ts');
      // The same command as the package's `generate` script, from the same folder.
      await promisify(execFile)(process.execPath, [cli, '../../openapi.json', '-o', fresh], {
        cwd: sdk_root,
      });
      expect(await readFile(committed, 'utf8')).toBe(await readFile(fresh, 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
