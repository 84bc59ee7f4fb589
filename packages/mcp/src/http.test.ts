import { request as httpRequest } from 'node:http';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Purse } from '@purse/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf } from '../../server/src/test-support/money.js';
import { type RunningHttpServer, startHttpServer } from './http.js';
import { createPurseMcpServer } from './server.js';
import { call, connectClient } from './test-support/client.js';
import { type AgentWorld, startAgentWorld } from './test-support/purse.js';

let world: AgentWorld;
let open: RunningHttpServer;
let guarded: RunningHttpServer;
const token = 'a-long-random-token';
beforeAll(async () => {
  world = await startAgentWorld();
  const purse = new Purse(world.agent_key, { baseUrl: world.url });
  const newServer = () => createPurseMcpServer(purse);
  open = await startHttpServer(newServer, { host: '127.0.0.1', port: 0, token: null });
  guarded = await startHttpServer(newServer, { host: '127.0.0.1', port: 0, token });
});
afterAll(async () => {
  await open.close();
  await guarded.close();
  await world.t.close();
});

const connect = (url: string, headers: Record<string, string> = {}) =>
  connectClient(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '0' } },
};

/** POSTs an initialize message with a chosen Host header (fetch does not let one set it). */
function postWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(initialize);
    const request = httpRequest(url, {
      method: 'POST',
      headers: {
        host,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'content-length': Buffer.byteLength(body),
      },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('the Purse MCP server over streamable HTTP', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(open.url);
  });
  afterAll(async () => {
    await client.close();
  });

  it('lists its tools and checks a balance', async () => {
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(10);
    const balance = await call(client, 'get_balance', { wallet_id: world.agent_wallet });
    expect(balance.json).toMatchObject({ id: world.agent_wallet, balance: { available: '500.00' } });
  });

  it('transfers within the policy, is refused over it, and is parked above the threshold', async () => {
    const args = {
      source_wallet_id: world.agent_wallet,
      destination_wallet_id: world.vendor_wallet,
      currency: 'USD',
    };
    const within = await call(client, 'create_transfer', { ...args, amount: '10.00' });
    expect(within.json).toMatchObject({ object: 'transfer', status: 'posted' });
    const over = await call(client, 'create_transfer', { ...args, amount: '40.00' });
    expect(over.is_error).toBe(true);
    expect(over.json).toMatchObject({ code: 'spend_limit_exceeded', param: 'per_movement_max' });
    const parked = await call(client, 'create_transfer', { ...args, amount: '21.00' });
    expect(parked.json).toMatchObject({ object: 'approval', status: 'pending' });
    const polled = await call(client, 'get_approval', { approval_id: parked.json.id });
    expect(polled.json).toMatchObject({ id: parked.json.id, status: 'pending' });
    expect(await balanceOf(world.t, world.agent_wallet)).toMatchObject({ available: '490.00' });
  });

  it('asks for the token when it has one, compared in full', async () => {
    await expect(connect(guarded.url)).rejects.toThrow(/401|token/i);
    await expect(connect(guarded.url, { authorization: `Bearer ${token}x` })).rejects.toThrow(/401|token/i);
    const client = await connect(guarded.url, { authorization: `Bearer ${token}` });
    expect((await client.listTools()).tools).toHaveLength(10);
    await client.close();
  });

  it('answers on loopback only requests addressed to a loopback name (DNS rebinding)', async () => {
    const rebound = await postWithHost(open.url, 'evil.example:80');
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { data: { code: 'host_not_allowed' } } });
    expect((await postWithHost(open.url, 'localhost:1')).status).toBe(200);
    expect((await postWithHost(open.url, '[::1]:1')).status).toBe(200);
  });

  it('is stateless: only POST to /mcp', async () => {
    expect((await fetch(open.url, { method: 'GET' })).status).toBe(405);
    expect((await fetch(new URL('/other', open.url), { method: 'POST' })).status).toBe(404);
  });
});
