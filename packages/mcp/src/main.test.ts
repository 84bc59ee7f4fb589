import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connectClient } from './test-support/client.js';
import { type AgentWorld, startAgentWorld } from './test-support/purse.js';

/** `purse-mcp` from its sources: the SDK through its "@purse/source" export, TypeScript through tsx. */
const package_root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const command = process.execPath;
const args = ['--conditions=@purse/source', '--import', 'tsx', 'src/main.ts'];

let world: AgentWorld;
beforeAll(async () => {
  world = await startAgentWorld();
});
afterAll(async () => {
  await world.t.close();
});

describe('purse-mcp over stdio, as an MCP client starts it', () => {
  it('serves the tools under the key from its environment, saying nothing else on stdout', async () => {
    const transport = new StdioClientTransport({
      command,
      args,
      cwd: package_root,
      env: { PATH: process.env.PATH ?? '', PURSE_URL: world.url, PURSE_API_KEY: world.agent_key },
      stderr: 'pipe',
    });
    const client = await connectClient(transport);
    expect((await client.listTools()).tools).toHaveLength(10);
    const wallets = await call(client, 'list_wallets', {});
    expect(wallets.json).toMatchObject({
      object: 'list',
      data: [{ id: world.agent_wallet }],
      has_more: false,
    });
    const refused = await call(client, 'create_transfer', {
      source_wallet_id: world.agent_wallet,
      destination_wallet_id: world.stranger_wallet,
      amount: '1.00',
      currency: 'USD',
    });
    expect(refused).toMatchObject({ is_error: true, json: { code: 'spend_limit_exceeded' } });
    await client.close();
  });

  it('exits 2 with the reason and the usage when the key is missing', () => {
    const run = spawnSync(command, args, {
      cwd: package_root,
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/PURSE_API_KEY must be set[\s\S]*Usage: purse-mcp/);
  });
});
