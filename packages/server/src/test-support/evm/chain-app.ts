import { type Address, getAddress } from 'viem';
import type { EvmConfig } from '../../chain/config.js';
import type { ChainDeps } from '../../chain/deps.js';
import { createTestApp, type TestApp } from '../app.js';
import { type Devnet, devnet_chain_id, startDevnet } from './devnet.js';
import { type RpcProxy, startRpcProxy } from './rpc-proxy.js';
import { devnetActors } from './token.js';

/**
 * A test app whose `ethereum` network is the EVM rail on a fresh devnet, reached through a proxy
 * the test can take down: ETH native (2 confirmations) and USDC as the test stablecoin (3).
 */
export interface ChainTestApp {
  readonly t: TestApp;
  readonly devnet: Devnet;
  readonly proxy: RpcProxy;
  readonly token: Address;
  readonly actors: ReturnType<typeof devnetActors>;
  readonly evm: EvmConfig;
  readonly deps: ChainDeps;
  close(): Promise<void>;
}

export async function createChainTestApp(
  options: { low_balance_minor?: Record<string, bigint> } = {},
): Promise<ChainTestApp> {
  const devnet = await startDevnet();
  const proxy = await startRpcProxy(devnet.rpc_url);
  const actors = devnetActors(devnet.rpc_url);
  const token = await actors.deployStablecoin();
  const config: EvmConfig = {
    rpc_url: proxy.url,
    chain_id: devnet_chain_id,
    assets: [
      { asset: 'ETH', token: null, confirmations: 2, low_balance_minor: options.low_balance_minor?.ETH },
      {
        asset: 'USDC',
        token: getAddress(token),
        confirmations: 3,
        low_balance_minor: options.low_balance_minor?.USDC,
      },
    ],
    mnemonic: undefined,
    poll_ms: 50,
    blocks_per_round_max: 100,
    reorg_depth_max: 16,
    rpc_timeout_ms: 2_000,
    start_block: 0n,
  };
  const t = await createTestApp({}, {}, { evm: config });
  return {
    t,
    devnet,
    proxy,
    token,
    actors,
    evm: config,
    deps: { pool: t.db.pool, limits: t.config.limits, rails: t.config.rails, evm: config },
    async close() {
      await t.close();
      await proxy.close();
      await devnet.stop();
    },
  };
}
