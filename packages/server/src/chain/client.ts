import { SpanKind } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS } from '@opentelemetry/semantic-conventions';
import { createPublicClient, custom, defineChain, http, type PublicClient } from 'viem';
import { inSpan } from '../tracing/spans.js';
import type { EvmConfig } from './config.js';

/**
 * A JSON-RPC client of the configured node, talked to as to any public node. No retries here: a
 * call that fails fails the round, which the worker runs again after its interval, so a node that
 * is down only delays work that is already durable in the database. With `stopping` (the worker's
 * stop), its calls in flight are aborted when it fires: a node that does not answer would otherwise
 * hold the worker's shutdown for the whole timeout of each call.
 */
const clients = new Map<string, PublicClient>();
const stoppable_clients = new WeakMap<AbortSignal, Map<string, PublicClient>>();

export function chainClient(config: EvmConfig, stopping?: AbortSignal): PublicClient {
  const key = `${config.chain_id}:${config.rpc_url}`;
  let cache = clients;
  if (stopping !== undefined) {
    cache = stoppable_clients.get(stopping) ?? new Map();
    stoppable_clients.set(stopping, cache);
  }
  let client = cache.get(key);
  if (client === undefined) {
    client = createPublicClient({ chain: evmChain(config), transport: tracedTransport(config, stopping) });
    cache.set(key, client);
  }
  return client;
}

/**
 * The node's HTTP transport with each JSON-RPC call in a CLIENT span `evm.rpc` (rpc.method says
 * which), under whatever step of the rail made it (chain/tasks.ts).
 */
function tracedTransport(config: EvmConfig, stopping: AbortSignal | undefined) {
  const chain = evmChain(config);
  const node = http(config.rpc_url, {
    retryCount: 0,
    timeout: config.rpc_timeout_ms,
    ...(stopping === undefined ? {} : { fetchOptions: { signal: stopping } }),
  })({
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
