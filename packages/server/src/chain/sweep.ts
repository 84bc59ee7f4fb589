import { type Address, getAddress } from 'viem';
import type { Client } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { chainClient } from './client.js';
import { carriedAsset, type EvmAsset, nativeAsset } from './config.js';
import type { ChainDeps } from './deps.js';
import { accountAt, addressAt, hdRoot, hot_wallet_index } from './keys.js';
import { erc20_abi, native_transfer_gas, token_transfer_gas, transferTo } from './send-payouts.js';
import { type FeeQuote, signAndStore, signThenBroadcast } from './signed-transactions.js';

const deposits_per_round_max = 200;

interface CreditedDeposit {
  id: string;
  address: Address;
  asset: string;
  livemode: boolean;
  derivation_index: number;
}

/**
 * Moves credited deposits from their deposit addresses to the hot wallet. No ledger entry moves a
 * customer's balance (the money was theirs once credited); only the gas is booked, when each
 * transaction is confirmed. A token sweep needs gas at the deposit address: the hot wallet sends
 * it first, and the sweep follows in a later round, once nothing is in flight for the address.
 */
export function sweepDeposits(deps: ChainDeps, now: Date): Promise<number> {
  return signThenBroadcast(deps, now, (db, fees) => signSweeps(db, deps, fees, now));
}

async function signSweeps(db: Client, deps: ChainDeps, fees: FeeQuote, now: Date): Promise<number> {
  const credited = await db.query<CreditedDeposit>(
    `SELECT d.id, d.address, d.asset, d.livemode, a.derivation_index FROM chain_deposits d
       JOIN deposit_addresses a ON a.address = d.address
      WHERE d.status = 'credited' AND d.swept_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM evm_transactions t WHERE t.reference_id = d.address AND t.status IN ('signed', 'broadcast'))
      ORDER BY d.id LIMIT $1 FOR UPDATE OF d SKIP LOCKED`,
    [deposits_per_round_max],
  );
  const groups = new Map<string, CreditedDeposit[]>();
  for (const deposit of credited.rows) {
    const key = `${deposit.address}:${deposit.asset}`;
    groups.set(key, [...(groups.get(key) ?? []), deposit]);
  }
  let signed = 0;
  for (const group of groups.values()) signed += await sweepAddress(db, deps, group, fees, now);
  return signed;
}

/** Signs one address's sweep of one asset (or the gas it needs first); marks its deposits swept. */
async function sweepAddress(
  db: Client,
  deps: ChainDeps,
  deposits: readonly CreditedDeposit[],
  fees: FeeQuote,
  now: Date,
): Promise<number> {
  const first = deposits[0];
  assert(first !== undefined, 'a group has a deposit');
  const asset = carriedAsset(deps.evm, first.asset);
  assert(asset !== undefined, 'a deposit is in a configured asset');
  const root = await hdRoot(db, deps.evm, now);
  const from = accountAt(root, first.derivation_index);
  const hot = addressAt(root, hot_wallet_index);
  const client = chainClient(deps.evm, deps.stopping);
  const gas_wei =
    (asset.token === null ? native_transfer_gas : token_transfer_gas) * fees.max_fee_per_gas_wei;
  const coin_wei = await client.getBalance({ address: from.address });
  const held = asset.token === null ? coin_wei - gas_wei : await tokenBalance(deps, asset, from.address);
  const record = { livemode: first.livemode, reference_id: getAddress(from.address) };
  if (held > 0n && asset.token !== null && coin_wei < gas_wei) {
    const native = nativeAsset(deps.evm);
    const gas_topup = gas_wei - coin_wei;
    const hot_account = accountAt(root, hot_wallet_index);
    const tx = { ...transferTo(native, from.address, gas_topup), from: hot_account, purpose: 'gas' as const };
    await signAndStore(
      db,
      deps,
      { ...tx, ...record, asset: native.asset, amount_minor: gas_topup },
      fees,
      now,
    );
    return 1;
  }
  if (held > 0n) {
    const tx = { ...transferTo(asset, hot, held), from, purpose: 'sweep' as const };
    await signAndStore(db, deps, { ...tx, ...record, asset: asset.asset, amount_minor: held }, fees, now);
  }
  await db.query('UPDATE chain_deposits SET swept_at = $2 WHERE id = ANY($1::text[])', [
    deposits.map((deposit) => deposit.id),
    now,
  ]);
  return held > 0n ? 1 : 0;
}

async function tokenBalance(deps: ChainDeps, asset: EvmAsset, owner: Address): Promise<bigint> {
  assert(asset.token !== null, 'a token has a contract');
  return chainClient(deps.evm, deps.stopping).readContract({
    address: asset.token,
    abi: erc20_abi,
    functionName: 'balanceOf',
    args: [owner],
  });
}
