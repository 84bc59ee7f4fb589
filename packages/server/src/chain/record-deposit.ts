import type { Address, Hex } from 'viem';
import { assetScale } from '../assets/service.js';
import type { Client } from '../db/pool.js';
import { createPayment } from '../payments/service.js';
import type { PayInAccepted } from '../rails/rail.js';
import { assert } from '../shared/assert.js';
import { newId } from '../shared/ids.js';
import { formatAmount } from '../shared/money.js';
import { carriedAsset, evm_network } from './config.js';
import type { ChainDeps } from './deps.js';

/** A transfer to a deposit address, as the watcher read it from a block. */
export interface SeenDeposit {
  readonly tx_hash: Hex;
  /** The Transfer log's index in its block; -1 for a native transfer (the transaction's value). */
  readonly log_index: number;
  readonly address: Address;
  readonly asset: string;
  readonly amount_minor: bigint;
  readonly block_number: bigint;
  readonly block_hash: Hex;
}

interface AddressOwner {
  wallet_id: string;
  livemode: boolean;
  wallet_asset: string;
}

/**
 * Records deposits the watcher saw, each once: (network, tx hash, log index) is unique among live
 * deposits, so a block read twice (a retried round, a second worker) adds nothing. A deposit seen
 * again in another block (its first block replaced, the transaction mined again) keeps its payment
 * and takes the new block. A new one becomes a `processing` payment into the address's wallet,
 * through the same pay-in path and events as every payment; the confirmation task credits it.
 */
export async function recordDeposits(
  db: Client,
  deps: ChainDeps,
  deposits: readonly SeenDeposit[],
  now: Date,
): Promise<number> {
  let recorded = 0;
  for (const deposit of deposits) {
    const id = await insertDeposit(db, deposit, now);
    if (id === undefined) continue;
    await assignPayment(db, deps, id, deposit, now);
    recorded += 1;
  }
  return recorded;
}

async function insertDeposit(db: Client, deposit: SeenDeposit, now: Date): Promise<string | undefined> {
  const result = await db.query<{ id: string; inserted: boolean }>(
    `INSERT INTO chain_deposits (id, network, tx_hash, log_index, livemode, address, asset, amount, block_number,
       block_hash, status, created_at, updated_at)
     SELECT $1, $2, $3, $4, livemode, address, $6, $7, $8, $9, 'seen', $10, $10
       FROM deposit_addresses WHERE address = $5
     ON CONFLICT (network, tx_hash, log_index) WHERE status <> 'reorged'
     DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, updated_at = EXCLUDED.updated_at
       WHERE chain_deposits.status = 'seen'
     RETURNING id, (xmax = 0) AS inserted`,
    [
      newId('chain_deposit', now.getTime()),
      evm_network,
      deposit.tx_hash,
      deposit.log_index,
      deposit.address,
      deposit.asset,
      deposit.amount_minor.toString(),
      deposit.block_number.toString(),
      deposit.block_hash,
      now,
    ],
  );
  const row = result.rows[0];
  return row?.inserted === true ? row.id : undefined;
}

/**
 * The deposit's payment. Money that arrived for a wallet that cannot take it (frozen, closed, or an
 * asset the wallet does not hold) is `unassigned`: it is at our address, recorded, and left to an
 * operator rather than refused (it cannot be sent back by refusing).
 */
async function assignPayment(db: Client, deps: ChainDeps, id: string, deposit: SeenDeposit, now: Date) {
  const owner = await ownerOf(db, deposit.address);
  const asset = carriedAsset(deps.evm, deposit.asset);
  assert(asset !== undefined, 'the watcher reads configured assets only');
  const scale = await assetScale(db, owner.livemode, deposit.asset, 'currency');
  const observed: PayInAccepted = {
    status: 'processing',
    source_view: {
      type: 'crypto',
      network: evm_network,
      address: deposit.address,
      tx_hash: deposit.tx_hash,
      block_number: deposit.block_number.toString(),
    },
    steps: [],
    confirmations_required: asset.confirmations,
  };
  const payment =
    owner.wallet_asset !== deposit.asset || !scale.ok
      ? undefined
      : await createPayment(
          { db, pool: deps.pool, livemode: owner.livemode, limits: deps.limits, now, rails: deps.rails },
          {
            wallet_id: owner.wallet_id,
            amount: formatAmount(deposit.amount_minor, scale.value),
            currency: deposit.asset,
            source: { type: 'crypto', network: evm_network, tx_hash: deposit.tx_hash },
          },
          observed,
        );
  await db.query(`UPDATE chain_deposits SET payment_id = $2, status = $3 WHERE id = $1`, [
    id,
    payment?.ok === true ? payment.value.id : null,
    payment?.ok === true ? 'seen' : 'unassigned',
  ]);
}

async function ownerOf(db: Client, address: Address): Promise<AddressOwner> {
  const found = await db.query<AddressOwner>(
    `SELECT d.wallet_id, d.livemode, a.asset AS wallet_asset
       FROM deposit_addresses d JOIN accounts a ON a.id = d.wallet_id WHERE d.address = $1`,
    [address],
  );
  const owner = found.rows[0];
  assert(owner !== undefined, 'a deposit is recorded only for a known address');
  return owner;
}
