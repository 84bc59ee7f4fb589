import type { Address } from 'viem';
import { parseAddress } from './address.js';

/** The network name the EVM rail answers to in the API (`{"network": "ethereum"}`). */
export const evm_network = 'ethereum';

/** An asset the EVM rail carries: the chain's native coin (token null) or an ERC-20 contract. */
export interface EvmAsset {
  readonly asset: string;
  readonly token: Address | null;
  /** Blocks on top of (and including) the deposit's before it is credited, or a payout is paid. */
  readonly confirmations: number;
  /** Below this the hot wallet's balance emits crypto.hot_wallet.low_balance; undefined: never. */
  readonly low_balance_minor: bigint | undefined;
}

export interface EvmConfig {
  readonly rpc_url: string;
  readonly chain_id: number;
  readonly assets: readonly EvmAsset[];
  /** A BIP-39 mnemonic to derive every key from; unset, one is generated and sealed on first use. */
  readonly mnemonic: string | undefined;
  readonly poll_ms: number;
  /** How many blocks one watcher round reads at most, so a round's transaction stays short. */
  readonly blocks_per_round_max: number;
  /** How far back the watcher starts again when the chain it read was replaced. */
  readonly reorg_depth_max: number;
  readonly rpc_timeout_ms: number;
  /** The block the watcher reads first; unset: the chain's head when it first runs. */
  readonly start_block: bigint | undefined;
}

type Env = Record<string, string | undefined>;

/**
 * PURSE_EVM_RPC_URL turns the EVM rail on. PURSE_EVM_ASSETS lists what it carries as
 * `ASSET:native|<token contract>:<confirmations>`, comma-separated (default `ETH:native:12`);
 * PURSE_EVM_LOW_BALANCE_MINOR the hot wallet's thresholds as `ASSET:<minor units>`.
 */
export function evmFromEnv(env: Env): EvmConfig | undefined {
  const rpc_url = env.PURSE_EVM_RPC_URL?.trim();
  if (rpc_url === undefined || rpc_url === '') return undefined;
  const chain_id = Number(env.PURSE_EVM_CHAIN_ID);
  if (!Number.isSafeInteger(chain_id) || chain_id <= 0)
    throw new Error('PURSE_EVM_CHAIN_ID must name the chain PURSE_EVM_RPC_URL serves (a positive integer)');
  const thresholds = lowBalances(env.PURSE_EVM_LOW_BALANCE_MINOR ?? '');
  const assets = (env.PURSE_EVM_ASSETS ?? 'ETH:native:12')
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => evmAsset(item.trim(), thresholds));
  if (assets.filter((asset) => asset.token === null).length !== 1)
    throw new Error('PURSE_EVM_ASSETS must name exactly one native asset (ETH:native:<confirmations>)');
  const mnemonic = env.PURSE_EVM_MNEMONIC?.trim();
  return {
    rpc_url,
    chain_id,
    assets,
    mnemonic: mnemonic === undefined || mnemonic === '' ? undefined : mnemonic,
    poll_ms: positive(env, 'PURSE_EVM_POLL_MS', 2_000),
    blocks_per_round_max: positive(env, 'PURSE_EVM_BLOCKS_PER_ROUND_MAX', 100),
    reorg_depth_max: positive(env, 'PURSE_EVM_REORG_DEPTH_MAX', 64),
    rpc_timeout_ms: positive(env, 'PURSE_EVM_RPC_TIMEOUT_MS', 10_000),
    start_block: startBlock(env.PURSE_EVM_START_BLOCK),
  };
}

function evmAsset(item: string, thresholds: Map<string, bigint>): EvmAsset {
  const [asset, token, confirmations] = item.split(':');
  const count = Number(confirmations);
  if (
    asset === undefined ||
    !/^[A-Z][A-Z0-9_]{1,15}$/.test(asset) ||
    !Number.isSafeInteger(count) ||
    count < 1
  )
    throw new Error(`PURSE_EVM_ASSETS: "${item}" is not ASSET:native|<contract>:<confirmations>`);
  const address = token === 'native' ? null : parseAddress(token ?? '');
  if (address === undefined) throw new Error(`PURSE_EVM_ASSETS: "${token}" is not a contract address`);
  return {
    asset,
    token: address,
    confirmations: count,
    low_balance_minor: thresholds.get(asset),
  };
}

function lowBalances(text: string): Map<string, bigint> {
  const thresholds = new Map<string, bigint>();
  for (const item of text.split(',').filter((part) => part.trim() !== '')) {
    const [asset, minor] = item.trim().split(':');
    if (asset === undefined || minor === undefined || !/^[0-9]{1,39}$/.test(minor))
      throw new Error(`PURSE_EVM_LOW_BALANCE_MINOR: "${item}" is not ASSET:<minor units>`);
    thresholds.set(asset, BigInt(minor));
  }
  return thresholds;
}

function startBlock(text: string | undefined): bigint | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  if (!/^[0-9]{1,19}$/.test(text.trim())) throw new Error('PURSE_EVM_START_BLOCK must be a block number');
  return BigInt(text.trim());
}

function positive(env: Env, name: string, fallback: number): number {
  const value = env[name] === undefined ? fallback : Number(env[name]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** The configured asset, or undefined when the rail does not carry it. */
export function carriedAsset(config: EvmConfig, asset: string): EvmAsset | undefined {
  return config.assets.find((item) => item.asset === asset);
}

export function nativeAsset(config: EvmConfig): EvmAsset {
  const native = config.assets.find((item) => item.token === null);
  if (native === undefined) throw new Error('the EVM config has no native asset');
  return native;
}
