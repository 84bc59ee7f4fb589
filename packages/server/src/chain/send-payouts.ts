import { type Address, encodeFunctionData, getAddress, parseAbi } from 'viem';
import type { Client } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { minorFromDb } from '../shared/money.js';
import { carriedAsset, type EvmAsset, evm_network } from './config.js';
import type { ChainDeps } from './deps.js';
import { accountAt, hdRoot, hot_wallet_index } from './keys.js';
import { type FeeQuote, signAndStore, signThenBroadcast } from './signed-transactions.js';

export const erc20_abi = parseAbi([
  'function transfer(address to, uint256 value) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
]);

/** Gas limits Purse signs with: a plain transfer's fixed cost, and room for a token's transfer. */
export const native_transfer_gas = 21_000n;
export const token_transfer_gas = 100_000n;
const payouts_per_round_max = 50;

interface PendingPayout {
  id: string;
  livemode: boolean;
  asset: string;
  amount: string;
  address: string;
}

/**
 * Signs pending EVM payouts from the hot wallet and broadcasts them. A payout stays `pending` until
 * its transaction is signed and stored (nonce taken under the sender's row lock), then broadcast;
 * only a broadcast moves it to `in_transit`. A node that is down leaves it where it is, and the
 * next round resumes with the bytes already stored, so a payout is never lost and never sent twice.
 */
export function sendPayouts(deps: ChainDeps, now: Date): Promise<number> {
  return signThenBroadcast(deps, now, (db, fees) => signPending(db, deps, fees, now));
}

async function signPending(db: Client, deps: ChainDeps, fees: FeeQuote, now: Date): Promise<number> {
  const pending = await db.query<PendingPayout>(
    `SELECT p.id, p.livemode, p.asset, p.amount, p.destination->>'address' AS address FROM payouts p
      WHERE p.rail = 'crypto' AND p.status = 'pending' AND p.destination->>'network' = $1
        AND NOT EXISTS (SELECT 1 FROM evm_transactions t WHERE t.purpose = 'payout' AND t.reference_id = p.id)
      ORDER BY p.id LIMIT $2 FOR UPDATE OF p SKIP LOCKED`,
    [evm_network, payouts_per_round_max],
  );
  if (pending.rows.length === 0) return 0;
  const hot = accountAt(await hdRoot(db, deps.evm, now), hot_wallet_index);
  for (const payout of pending.rows) {
    const asset = carriedAsset(deps.evm, payout.asset);
    assert(asset !== undefined, 'a payout on the EVM rail is in an asset it carries');
    const amount_minor = minorFromDb(payout.amount);
    await signAndStore(
      db,
      deps,
      {
        ...transferTo(asset, getAddress(payout.address), amount_minor),
        from: hot,
        purpose: 'payout',
        reference_id: payout.id,
        livemode: payout.livemode,
        asset: payout.asset,
        amount_minor,
      },
      fees,
      now,
    );
  }
  return pending.rows.length;
}

/** The call that moves `amount_minor` of an asset to an address: a value transfer or an ERC-20 transfer. */
export function transferTo(asset: EvmAsset, to: Address, amount_minor: bigint) {
  if (asset.token === null) return { to, value_wei: amount_minor, gas: native_transfer_gas };
  return {
    to: asset.token,
    value_wei: 0n,
    data: encodeFunctionData({ abi: erc20_abi, functionName: 'transfer', args: [to, amount_minor] }),
    gas: token_transfer_gas,
  };
}
