import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Purse } from '@purse/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, funded, newWallet, postOk } from '../../server/src/test-support/money.js';
import { createPurseMcpServer } from './server.js';
import { call, connectClient } from './test-support/client.js';
import { type AgentWorld, startAgentWorld } from './test-support/purse.js';

let world: AgentWorld;
let client: Client;
beforeAll(async () => {
  world = await startAgentWorld();
  client = await connectTo(new Purse(world.agent_key, { baseUrl: world.url }));
});

async function connectTo(purse: Purse): Promise<Client> {
  const [client_side, server_side] = InMemoryTransport.createLinkedPair();
  await createPurseMcpServer(purse).connect(server_side);
  return connectClient(client_side);
}
afterAll(async () => {
  await client.close();
  await world.t.close();
});

const transfer = (amount: string, destination_wallet_id = world.vendor_wallet) =>
  call(client, 'create_transfer', {
    source_wallet_id: world.agent_wallet,
    destination_wallet_id,
    amount,
    currency: 'USD',
  });

describe('the Purse MCP server, in process, under a restricted key with a spend policy', () => {
  it('lists its tools, with strict schemas an agent can read', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'convert_currency',
      'create_payment',
      'create_payout',
      'create_transfer',
      'get_approval',
      'get_balance',
      'list_approvals',
      'list_transactions',
      'list_wallets',
      'quote_conversion',
    ]);
    const create_transfer = tools.find((tool) => tool.name === 'create_transfer');
    expect(create_transfer?.inputSchema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['source_wallet_id', 'destination_wallet_id', 'amount', 'currency'],
      properties: { amount: { type: 'string' } },
    });
    expect(create_transfer?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    for (const tool of tools) expect(tool.description?.length).toBeGreaterThan(40);
  });

  it('checks a balance', async () => {
    const answer = await call(client, 'get_balance', { wallet_id: world.agent_wallet });
    expect(answer.is_error).toBe(false);
    expect(answer.json).toMatchObject({
      id: world.agent_wallet,
      object: 'wallet',
      currency: 'USD',
      balance: { available: '500.00', held: '0.00', pending: '0.00', total: '500.00' },
    });
  });

  it('shows a restricted key only its own wallets; any other is not found', async () => {
    const list = await call(client, 'list_wallets', {});
    expect(list.is_error).toBe(false);
    expect((list.json.data as { id: string }[]).map((wallet) => wallet.id)).toEqual([world.agent_wallet]);
    const stranger = await call(client, 'get_balance', { wallet_id: world.stranger_wallet });
    expect(stranger.is_error).toBe(true);
    expect(stranger.json).toMatchObject({ status: 404, code: 'resource_not_found', param: 'id' });
  });

  it("transfers within the key's policy, and the history shows it", async () => {
    const answer = await transfer('12.00');
    expect(answer.is_error).toBe(false);
    expect(answer.json).toMatchObject({ object: 'transfer', status: 'posted', amount: '12.00' });
    expect(await balanceOf(world.t, world.agent_wallet)).toMatchObject({ available: '488.00' });
    const history = await call(client, 'list_transactions', { wallet_id: world.agent_wallet, limit: 1 });
    expect(history.json).toMatchObject({
      has_more: true,
      data: [
        {
          side: 'debit',
          amount: '12.00',
          reference_id: answer.json.id,
          balance_after: { available: '488.00' },
        },
      ],
    });
  });

  it('answers a call over the policy as an error result carrying the problem, and moves nothing', async () => {
    const over = await transfer('31.00');
    expect(over.is_error).toBe(true);
    expect(over.json).toMatchObject({ status: 403, code: 'spend_limit_exceeded', param: 'per_movement_max' });
    expect(over.json.detail).toEqual(expect.stringContaining('30.00'));
    expect(over.json.request_id).toEqual(expect.stringMatching(/^req_/));
    const elsewhere = await transfer('1.00', world.stranger_wallet);
    expect(elsewhere.json).toMatchObject({ code: 'spend_limit_exceeded', param: 'allowed_destinations' });
    expect(await balanceOf(world.t, world.agent_wallet)).toMatchObject({ available: '488.00' });
  });

  it('returns a parked request as its approval, which the agent polls until a person approves', async () => {
    const parked = await transfer('25.00');
    expect(parked.is_error).toBe(false);
    expect(parked.json).toMatchObject({
      object: 'approval',
      status: 'pending',
      amount: '25.00',
      currency: 'USD',
    });
    const approval_id = parked.json.id as string;
    expect(parked.notes).toEqual([expect.stringContaining(`get_approval with approval_id "${approval_id}"`)]);
    expect(await balanceOf(world.t, world.agent_wallet)).toMatchObject({ available: '488.00' });
    const pending = await call(client, 'list_approvals', { status: 'pending' });
    expect((pending.json.data as { id: string }[]).map((approval) => approval.id)).toEqual([approval_id]);

    const approved = await world.t.request({ method: 'POST', url: `/v1/approvals/${approval_id}/approve` });
    expect(approved.statusCode, approved.body).toBe(200);
    const polled = await call(client, 'get_approval', { approval_id });
    expect(polled.json).toMatchObject({
      status: 'approved',
      result: { status: 201, body: { object: 'transfer', amount: '25.00' } },
    });
    expect(polled.notes).toEqual([]);
    expect(await balanceOf(world.t, world.agent_wallet)).toMatchObject({ available: '463.00' });
  });

  it('refuses bad input before any request: an amount as a number, an unknown field, a wrong id', async () => {
    const as_number = await call(client, 'create_transfer', {
      source_wallet_id: world.agent_wallet,
      destination_wallet_id: world.vendor_wallet,
      amount: 1.5,
      currency: 'USD',
    });
    expect(as_number.is_error).toBe(true);
    expect(as_number.json.text).toMatch(/Input validation error.*amount/s);
    const unknown = await call(client, 'get_balance', { wallet_id: world.agent_wallet, all: true });
    expect(unknown.is_error).toBe(true);
    const wrong_id = await call(client, 'get_approval', { approval_id: world.agent_wallet });
    expect(wrong_id.json.text).toMatch(/starting with apr_/);
  });

  it('replays a retried movement with the same idempotency key instead of paying twice', async () => {
    const args = {
      source_wallet_id: world.agent_wallet,
      destination_wallet_id: world.vendor_wallet,
      amount: '2.00',
      currency: 'USD',
      idempotency_key: 'agent-order-6735',
    };
    const first = await call(client, 'create_transfer', args);
    const retry = await call(client, 'create_transfer', args);
    expect(first.is_error).toBe(false);
    expect(retry.json.id).toBe(first.json.id);
    expect(await balanceOf(world.t, world.agent_wallet)).toMatchObject({ available: '461.00' });
  });

  it('takes a payment only with a key allowed to: a restricted key is refused as over HTTP', async () => {
    const args = {
      wallet_id: world.agent_wallet,
      amount: '10.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    };
    const refused = await call(client, 'create_payment', args);
    expect(refused.json).toMatchObject({ status: 403, code: 'key_restricted' });
    const operator = await connectTo(new Purse(world.t.test_key, { baseUrl: world.url }));
    const paid = await call(operator, 'create_payment', args);
    expect(paid.json).toMatchObject({ object: 'payment', status: 'succeeded', amount: '10.00' });
    await operator.close();
  });

  it('quotes and converts between two wallets of one holder', async () => {
    const operator = await connectTo(new Purse(world.t.test_key, { baseUrl: world.url }));
    await postOk(world.t, '/v1/fx_rates', { base: 'USD', quote: 'EUR', rate: '0.92' });
    const dollars = await funded(world.t, '50.00');
    const euros = await newWallet(world.t, 'EUR');
    const quote = await call(operator, 'quote_conversion', {
      source_currency: 'USD',
      target_currency: 'EUR',
      source_amount: '10.00',
    });
    expect(quote.json).toMatchObject({ object: 'fx_quote', target_amount: '9.20' });
    const args = {
      quote_id: (quote.json as { id: string }).id,
      source_wallet_id: dollars,
      target_wallet_id: euros,
    };
    const converted = await call(operator, 'convert_currency', args);
    expect(converted.json).toMatchObject({
      object: 'conversion',
      source_amount: '10.00',
      target_amount: '9.20',
    });
    expect((await balanceOf(world.t, euros)).available).toBe('9.20');
    const again = await call(operator, 'convert_currency', args);
    expect(again.json).toMatchObject({ status: 409, code: 'quote_already_used' });
    await operator.close();
  });

  it('refuses a payout to the outside for a key limited to allowed destinations', async () => {
    const payout = await call(client, 'create_payout', {
      wallet_id: world.agent_wallet,
      amount: '5.00',
      currency: 'USD',
      destination: {
        type: 'bank_account',
        account_holder_name: 'Ada',
        account_number: '000123456789',
        routing_number: '110000000',
      },
    });
    expect(payout.is_error).toBe(true);
    expect(payout.json).toMatchObject({
      status: 403,
      code: 'spend_limit_exceeded',
      param: 'allowed_destinations',
    });
  });

  it('answers an unreachable API as an error result too, not an exception', async () => {
    const nowhere = await connectTo(
      new Purse(world.agent_key, { baseUrl: 'http://127.0.0.1:9', max_retries: 0 }),
    );
    const answer = await call(nowhere, 'get_balance', { wallet_id: world.agent_wallet });
    expect(answer).toMatchObject({
      is_error: true,
      json: { status: 0, code: 'connection_failed', request_id: null },
    });
    await nowhere.close();
  });
});
