import { type Hex, TransactionReceiptNotFoundError } from 'viem';
import { type Client, inTransaction } from '../db/pool.js';
import { systemAccountId } from '../ledger/accounts.js';
import { writeEntries } from '../ledger/write.js';
import { applyPayoutUpdate } from '../payouts/lifecycle.js';
import { clearingAccount } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { chainClient } from './client.js';
import { carriedAsset, type EvmConfig, nativeAsset } from './config.js';
import type { ChainDeps } from './deps.js';
import { sendRaw } from './signed-transactions.js';

const transactions_per_round_max = 200;

interface BroadcastRow {
  id: string;
  livemode: boolean;
  sender: string;
  nonce: string;
  purpose: 'payout' | 'sweep' | 'gas';
  reference_id: string;
  asset: string;
  tx_hash: Hex;
  raw: Hex;
}

type Outcome =
  | { status: 'succeeded' | 'reverted'; block_number: bigint; gas_fee_wei: bigint }
  | { status: 'dropped' };

/**
 * Follows broadcast transactions to their end. Mined with the asset's confirmations: `succeeded`
 * (a payout is `paid`) or `reverted` (a payout `failed`, its amount back in the wallet); either way
 * the gas was spent, and is booked from the native asset's network_fees account to its crypto
 * clearing account. Not mined and unknown to the node: the same bytes are sent again; its nonce used
 * by another transaction: `dropped` (a payout `failed`).
 */
export async function confirmTransactions(deps: ChainDeps, now: Date): Promise<number> {
  const head = await chainClient(deps.evm, deps.stopping).getBlockNumber({ cacheTime: 0 });
  return inTransaction(deps.pool, async (db) => {
    const open = await db.query<BroadcastRow>(
      `SELECT id, livemode, sender, nonce, purpose, reference_id, asset, tx_hash, raw FROM evm_transactions
        WHERE status = 'broadcast' ORDER BY sender, nonce LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [transactions_per_round_max],
    );
    let finished = 0;
    for (const row of open.rows) {
      const outcome = await outcomeOf(deps.evm, row, head, deps.stopping);
      if (outcome === undefined) continue;
      await finish(db, deps.evm, row, outcome, now);
      finished += 1;
    }
    return finished;
  });
}

async function outcomeOf(
  config: EvmConfig,
  row: BroadcastRow,
  head: bigint,
  stopping?: AbortSignal,
): Promise<Outcome | undefined> {
  const client = chainClient(config, stopping);
  const receipt = await client.getTransactionReceipt({ hash: row.tx_hash }).catch((error: unknown) => {
    if (error instanceof TransactionReceiptNotFoundError) return undefined;
    throw error;
  });
  if (receipt === undefined) {
    const mined = await client.getTransactionCount({ address: row.sender as Hex, blockTag: 'latest' });
    if (BigInt(mined) > BigInt(row.nonce)) return { status: 'dropped' };
    await sendRaw(config, row.raw, stopping);
    return undefined;
  }
  const required = BigInt(carriedAsset(config, row.asset)?.confirmations ?? 1);
  if (head - receipt.blockNumber + 1n < required) return undefined;
  return {
    status: receipt.status === 'success' ? 'succeeded' : 'reverted',
    block_number: receipt.blockNumber,
    gas_fee_wei: receipt.gasUsed * receipt.effectiveGasPrice,
  };
}

async function finish(db: Client, config: EvmConfig, row: BroadcastRow, outcome: Outcome, now: Date) {
  const gas_fee_wei = outcome.status === 'dropped' ? null : outcome.gas_fee_wei;
  await db.query(
    'UPDATE evm_transactions SET status = $2, block_number = $3, gas_fee_wei = $4, updated_at = $5 WHERE id = $1',
    [
      row.id,
      outcome.status,
      outcome.status === 'dropped' ? null : outcome.block_number.toString(),
      gas_fee_wei?.toString() ?? null,
      now,
    ],
  );
  if (gas_fee_wei !== null && gas_fee_wei > 0n) await bookGas(db, config, row, gas_fee_wei, now);
  if (row.purpose !== 'payout') return;
  const update =
    outcome.status === 'succeeded'
      ? { status: 'paid' as const }
      : {
          status: 'failed' as const,
          failure_code: outcome.status === 'reverted' ? 'transaction_reverted' : 'transaction_dropped',
        };
  const result = await applyPayoutUpdate(db, row.livemode, row.reference_id, update, now);
  assert(result.ok, `payout ${row.reference_id} takes its chain outcome`);
}

/**
 * Gas is the platform's cost, never a customer's: it leaves the hot wallet (or a deposit address)
 * on chain, so it moves from network_fees into the native asset's crypto clearing account.
 */
async function bookGas(db: Client, config: EvmConfig, row: BroadcastRow, gas_fee_wei: bigint, now: Date) {
  const native = nativeAsset(config).asset;
  const [outcome] = await writeEntries(
    db,
    [
      {
        livemode: row.livemode,
        reason: 'evm.gas',
        reference_id: row.id,
        movements: [
          {
            from: systemAccountId(row.livemode, native, 'network_fees'),
            to: systemAccountId(row.livemode, native, clearingAccount('crypto')),
            amount_minor: gas_fee_wei,
            layer: 'posted',
          },
        ],
      },
    ],
    now,
  );
  assert(outcome?.ok === true, 'system accounts take any gas');
}
