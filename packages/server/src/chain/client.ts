import { SpanKind } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS } from '@opentelemetry/semantic-conventions';
import { createPublicClient, custom, defineChain, http, type PublicClient } from 'viem';
import { inSpan } from '../tracing/spans.js';
import type { EvmConfig } from './config.js';

/**
 * A JSON-RPC client of the configured node, talked to as to any public node. No retries here: a
 * call that fails fails the round, which the worker runs again after its interval, so a node that
 * is down only delays work that is already durable in the database.
 */
const clients = new Map<string, PublicClient>();

export function chainClient(config: EvmConfig): PublicClient {
  const key = `${config.chain_id}:${config.rpc_url}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = createPublicClient({ chain: evmChain(config), transport: tracedTransport(config) });
    clients.set(key, client);
  }
  return client;
}

/**
 * The node's HTTP transport with each JSON-RPC call in a CLIENT span `evm.rpc` (rpc.method says
 * which), under whatever step of the rail made it (chain/tasks.ts).
 */
function tracedTransport(config: EvmConfig) {
  const chain = evmChain(config);
  const node = http(config.rpc_url, { retryCount: 0, timeout: config.rpc_timeout_ms })({
    chain,
    retryCount: 0,
  });
  const server_address = new URL(config.rpc_url).hostname;
  return custom(
    {
      request: (call: { method: string; params?: unknown }) =>
        inSpan(
          'evm.rpc',
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'rpc.system': 'jsonrpc',
              'rpc.method': call.method,
              [ATTR_SERVER_ADDRESS]: server_address,
            },
          },
          () => node.request(call),
        ),
    },
    { retryCount: 0 },
  );
}

export function evmChain(config: EvmConfig) {
  return defineChain({
    id: config.chain_id,
    name: `evm-${config.chain_id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [config.rpc_url] } },
  });
}
