/**
 * The `evm_watch` scenario: the EVM rail's block watcher (chain/watch.ts) reading blocks of 1,000
 * ERC-20 Transfer logs each, every one to a deposit address, from a local anvil devnet over
 * JSON-RPC. Each log becomes a deposit row and a processing payment (screened, with its event), as
 * in production; then the confirmation task credits them all. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { getAddress } from 'viem';
import { english, generateMnemonic } from 'viem/accounts';
import type { EvmConfig } from '../packages/server/src/chain/config.js';
import { confirmDeposits } from '../packages/server/src/chain/confirm-deposits.js';
import type { ChainDeps } from '../packages/server/src/chain/deps.js';
import { watchChain } from '../packages/server/src/chain/watch.js';
import { loadConfig } from '../packages/server/src/config.js';
import { installKek, loadDataKeys } from '../packages/server/src/crypto/keyring.js';
import { migrate } from '../packages/server/src/db/migrate.js';
import { createPool, inTransaction } from '../packages/server/src/db/pool.js';
import { insertWallet } from '../packages/server/src/ledger/accounts.js';
import { depositAddress } from '../packages/server/src/rails/deposit-addresses.js';
import { assert } from '../packages/server/src/shared/assert.js';
import { devnet_chain_id, startDevnet } from '../packages/server/src/test-support/evm/devnet.js';
import { devnetActors } from '../packages/server/src/test-support/evm/token.js';

export interface EvmWatchResult {
  readonly blocks: number;
  readonly logs_per_block: number;
  readonly logs: number;
  readonly setup_s: number;
  readonly watch_s: number;
  readonly watch_rounds: number;
  readonly confirm_s: number;
  readonly deposits: number;
  readonly credited: number;
}

export async function evmWatchBench(
  database_url: string,
  blocks: number,
  logs_per_block: number,
): Promise<EvmWatchResult> {
  const devnet = await startDevnet({ gas_limit: 1_000_000_000n });
  const pool = createPool(database_url, 4);
  try {
    await migrate(pool);
    installKek(randomBytes(32));
    await loadDataKeys(pool);
    const started = performance.now();
    const actors = devnetActors(devnet.rpc_url);
    const token = await actors.deployStablecoin();
    const evm: EvmConfig = {
      rpc_url: devnet.rpc_url,
      chain_id: devnet_chain_id,
      assets: [
        { asset: 'ETH', token: null, confirmations: 12, low_balance_minor: undefined },
        { asset: 'USDC', token: getAddress(token), confirmations: 12, low_balance_minor: undefined },
      ],
      mnemonic: generateMnemonic(english),
      poll_ms: 1_000,
      blocks_per_round_max: 10,
      reorg_depth_max: 64,
      rpc_timeout_ms: 60_000,
      start_block: await actors.publicClient.getBlockNumber(),
    };
    const base = loadConfig({ DATABASE_URL: database_url });
    const deps: ChainDeps = { pool, limits: base.limits, rails: { ...base.rails, evm }, evm };
    const addresses = await depositAddresses(deps, logs_per_block);
    for (let block = 0; block < blocks; block += 1) await actors.mintMany(token, addresses, 1_000_000n);
    await devnet.mine(12);
    const setup_s = (performance.now() - started) / 1_000;
    const watch_started = performance.now();
    let deposits = 0;
    let watch_rounds = 0;
    // Until every log is recorded; the bound stops a run that would never get there.
    for (; deposits < blocks * logs_per_block && watch_rounds < blocks + 20; watch_rounds += 1)
      deposits += await watchChain(deps, new Date());
    const watch_s = (performance.now() - watch_started) / 1_000;
    const confirm_started = performance.now();
    let credited = 0;
    for (let handled = -1; handled !== 0; credited += handled)
      handled = await confirmDeposits(deps, new Date());
    const confirm_s = (performance.now() - confirm_started) / 1_000;
    return {
      blocks,
      logs_per_block,
      logs: blocks * logs_per_block,
      setup_s,
      watch_s,
      watch_rounds,
      confirm_s,
      deposits,
      credited,
    };
  } finally {
    await pool.end();
    await devnet.stop();
  }
}

/** One USDC wallet with its derived deposit address per log in a block. */
async function depositAddresses(deps: ChainDeps, count: number): Promise<`0x${string}`[]> {
  return inTransaction(deps.pool, async (db) => {
    const addresses: `0x${string}`[] = [];
    const now = new Date();
    for (let n = 0; n < count; n += 1) {
      const wallet = await insertWallet(
        db,
        {
          livemode: false,
          asset: 'USDC',
          holder_id: null,
          floor_minor: 0n,
          settlement_delay_days: 0,
          metadata: {},
        },
        now,
      );
      const address = await depositAddress(db, false, wallet.id, 'ethereum', now, deps.evm);
      addresses.push(address.address as `0x${string}`);
    }
    assert(new Set(addresses).size === count, 'every wallet has its own address');
    return addresses;
  });
}
