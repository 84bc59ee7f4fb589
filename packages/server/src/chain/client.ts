import { createPublicClient, defineChain, http, type PublicClient } from 'viem';
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
    client = createPublicClient({
      chain: evmChain(config),
      transport: http(config.rpc_url, { retryCount: 0, timeout: config.rpc_timeout_ms }),
    });
    clients.set(key, client);
  }
  return client;
}

export function evmChain(config: EvmConfig) {
  return defineChain({
    id: config.chain_id,
    name: `evm-${config.chain_id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [config.rpc_url] } },
  });
}
