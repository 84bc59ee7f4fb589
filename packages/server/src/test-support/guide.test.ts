import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './app.js';
import { guideScript, runGuide } from './guide.js';

let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await createTestApp();
  dir = await mkdtemp(path.join(tmpdir(), 'purse-guide-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.close();
});

async function guide(markdown: string): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.md`);
  await writeFile(file, markdown);
  return file;
}

describe('the guide runner', () => {
  it('keeps only sh and bash blocks, on their own line numbers', () => {
    const script = guideScript(
      [
        '# Title',
        '```sh',
        'echo one',
        '```',
        '```json',
        '{"no": 1}',
        '```',
        '```bash',
        'echo two',
        '```',
      ].join('\n'),
    );
    const lines = script.split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^set -euo pipefail; trap .* ERR; purse_ts\(\) \{.*\}; PURSE_TS_N=0; $/);
    expect(lines[2]).toBe('echo one');
    expect(lines[5]).toBe('');
    expect(lines[8]).toBe('echo two');
  });

  it('runs the blocks against the server with PURSE and KEY, carrying variables across blocks', async () => {
    const file = await guide(
      [
        '```sh',
        'W=$(curl -s $PURSE/v1/wallets -H "Authorization: Bearer $KEY" -d \'{"currency": "USD"}\' -H "Content-Type: application/json")',
        '```',
        'Text.',
        '```sh',
        'echo "$W" | grep -o \'"object":"wallet"\'',
        'curl -s $PURSE/v1/nothing -H "Authorization: Bearer $KEY" >/dev/null',
        '```',
      ].join('\n'),
    );
    const run = await runGuide(t, file);
    expect(run.stdout).toBe('"object":"wallet"\n');
    expect(run.exchanges).toEqual([
      { method: 'POST', path: '/v1/wallets', status: 201 },
      { method: 'GET', path: '/v1/nothing', status: 404 },
    ]);
  });

  it('runs ts blocks with tsx and the workspace SDK, PURSE and KEY in process.env, on their own lines', async () => {
    const markdown = [
      '# SDK',
      '```ts',
      "import { Purse } from '@purse/sdk';",
      "const purse = new Purse(process.env.KEY ?? '', { baseUrl: process.env.PURSE });",
      "const wallet = await purse.wallets.create({ currency: 'USD' });",
      'console.log(`${wallet.object} $HOME`);',
      '```',
      '```sh',
      'echo after',
      '```',
    ].join('\n');
    const lines = guideScript(markdown).split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[1]).toBe("purse_ts <<'PURSE_TS_BLOCK'");
    expect(lines[6]).toBe('PURSE_TS_BLOCK');
    expect(lines[8]).toBe('echo after');
    const run = await runGuide(t, await guide(markdown));
    expect(run.stdout).toBe('wallet $HOME\nafter\n');
    expect(run.exchanges).toEqual([{ method: 'POST', path: '/v1/wallets', status: 201 }]);
    const failing = await guide(['Text.', '```ts', "throw new Error('no');", '```'].join('\n'));
    await expect(runGuide(t, failing)).rejects.toThrow(/guide failed at line 2/);
  });

  it('fails on a failing command, naming its line in the guide, and on an unset variable', async () => {
    const failing = await guide(
      ['# Guide', '', '```sh', 'true', 'curl -s $PURSE/v1/wallets | grep -q nothing-like-this', '```'].join(
        '\n',
      ),
    );
    await expect(runGuide(t, failing)).rejects.toThrow(/bash exited 1\nguide failed at line 5/);
    const unset = await guide(['```sh', 'echo $NOT_SET', '```'].join('\n'));
    await expect(runGuide(t, unset)).rejects.toThrow(/NOT_SET: unbound variable/);
  });
});
