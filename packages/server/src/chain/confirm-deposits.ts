import type { Hex } from 'viem';
import { type Client, inTransaction } from '../db/pool.js';
import { applyPaymentUpdate, type PaymentUpdate } from '../payments/lifecycle.js';
import { assert } from '../shared/assert.js';
import { chainClient } from './client.js';
import { carriedAsset, type EvmConfig } from './config.js';
import type { ChainDeps } from './deps.js';

const deposits_per_round_max = 500;

interface WaitingDeposit {
  id: string;
  livemode: boolean;
  asset: string;
  block_number: string;
  block_hash: string;
  payment_id: string;
}

/**
 * Counts the confirmations of deposits not yet credited, and credits each one whose block has the
 * asset's confirmations on top of it, after checking that its block is still the chain's at its
 * height. A deposit whose block was replaced is never credited: its payment fails with `reorged`.
 * Claimed FOR UPDATE SKIP LOCKED, each credit under the payment's row lock, so a deposit is
 * credited once however many workers run this.
 */
export async function confirmDeposits(deps: ChainDeps, now: Date): Promise<number> {
  const head = await chainClient(deps.evm, deps.stopping).getBlockNumber({ cacheTime: 0 });
  return inTransaction(deps.pool, async (db) => {
    const waiting = await db.query<WaitingDeposit>(
      `SELECT id, livemode, asset, block_number, block_hash, payment_id FROM chain_deposits
        WHERE status = 'seen' AND payment_id IS NOT NULL AND block_number <= $1
        ORDER BY block_number LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [head.toString(), deposits_per_round_max],
    );
    const canonical = new Map<bigint, Hex>();
    let handled = 0;
    for (const deposit of waiting.rows) {
      const height = BigInt(deposit.block_number);
      const hash = canonical.get(height) ?? (await blockHash(deps.evm, height, deps.stopping));
      canonical.set(height, hash);
      const confirmations = Number(head - height + 1n);
      handled += await confirmOne(db, deps.evm, deposit, hash, confirmations, now);
    }
    return handled;
  });
}

async function blockHash(config: EvmConfig, height: bigint, stopping?: AbortSignal): Promise<Hex> {
  const block = await chainClient(config, stopping).getBlock({ blockNumber: height });
  assert(block.hash !== null, 'a mined block has a hash');
  return block.hash;
}

async function confirmOne(
  db: Client,
  config: EvmConfig,
  deposit: WaitingDeposit,
  canonical_hash: Hex,
  confirmations: number,
  now: Date,
): Promise<number> {
  const required = carriedAsset(config, deposit.asset)?.confirmations ?? 1;
  const replaced = canonical_hash !== deposit.block_hash;
  const update: PaymentUpdate = replaced
    ? { status: 'failed', failure_code: 'reorged' }
    : confirmations >= required
      ? { status: 'succeeded' }
      : { status: 'confirming', confirmations };
  const result = await applyPaymentUpdate(db, deposit.livemode, deposit.payment_id, update, now);
  // A refusal (the wallet frozen since) leaves the deposit waiting; the next round tries again.
  if (!result.ok) return 0;
  const status = result.value.status;
  if (status === 'processing') return 0;
  await db.query('UPDATE chain_deposits SET status = $2, updated_at = $3 WHERE id = $1', [
    deposit.id,
    status === 'succeeded' ? 'credited' : 'reorged',
    now,
  ]);
  return 1;
}
