import { assetScale } from '../assets/service.js';
import { type Client, inTransaction } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { formatAmount } from '../shared/money.js';
import { chainClient } from './client.js';
import { type EvmAsset, evm_network } from './config.js';
import type { ChainDeps } from './deps.js';
import { addressAt, hdRoot, hot_wallet_index } from './keys.js';
import { erc20_abi } from './send-payouts.js';

/**
 * Compares the hot wallet's balance in each asset with its threshold and emits
 * `crypto.hot_wallet.low_balance` when it falls below: once per fall (the row remembers it was
 * low), again only after it has been refilled above. The hot wallet serves both modes, so both
 * modes' listeners hear it. Returns the events emitted.
 */
export async function checkHotWallet(deps: ChainDeps, now: Date): Promise<number> {
  const watched = deps.evm.assets.filter((asset) => asset.low_balance_minor !== undefined);
  if (watched.length === 0) return 0;
  return inTransaction(deps.pool, async (db) => {
    const address = addressAt(await hdRoot(db, deps.evm, now), hot_wallet_index);
    let emitted = 0;
    for (const asset of watched) {
      const balance_minor = await balanceOf(deps, asset, address);
      const low = balance_minor < (asset.low_balance_minor ?? 0n);
      if (await fellLow(db, asset.asset, low, now)) {
        await emit(db, asset, address, balance_minor, now);
        emitted += 1;
      }
    }
    return emitted;
  });
}

function balanceOf(deps: ChainDeps, asset: EvmAsset, address: `0x${string}`): Promise<bigint> {
  const client = chainClient(deps.evm, deps.stopping);
  if (asset.token === null) return client.getBalance({ address });
  return client.readContract({
    address: asset.token,
    abi: erc20_abi,
    functionName: 'balanceOf',
    args: [address],
  });
}

/** Records whether the asset is low now; true only when it was not low before. */
async function fellLow(db: Client, asset: string, low: boolean, now: Date): Promise<boolean> {
  const before = await db.query<{ low: boolean }>(
    'SELECT low FROM evm_hot_wallet_alerts WHERE asset = $1 FOR UPDATE',
    [asset],
  );
  await db.query(
    `INSERT INTO evm_hot_wallet_alerts (asset, low, checked_at) VALUES ($1, $2, $3)
     ON CONFLICT (asset) DO UPDATE SET low = EXCLUDED.low, checked_at = EXCLUDED.checked_at`,
    [asset, low, now],
  );
  return low && before.rows[0]?.low !== true;
}

async function emit(db: Client, asset: EvmAsset, address: string, balance_minor: bigint, now: Date) {
  for (const livemode of [false, true]) {
    const scale = await assetScale(db, livemode, asset.asset, 'currency');
    if (!scale.ok) continue;
    const data = {
      id: `hot_wallet_${evm_network}_${asset.asset}`,
      object: 'hot_wallet_balance',
      livemode,
      network: evm_network,
      address,
      currency: asset.asset,
      balance: formatAmount(balance_minor, scale.value),
      threshold: formatAmount(asset.low_balance_minor ?? 0n, scale.value),
    };
    await recordEvents(db, [eventOf('crypto.hot_wallet.low_balance', data)], now);
  }
}
