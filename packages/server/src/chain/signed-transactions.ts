import { type Address, type Hex, keccak256 } from 'viem';
import type { HDAccount } from 'viem/accounts';
import { type Client, inTransaction } from '../db/pool.js';
import { applyPayoutUpdate } from '../payouts/lifecycle.js';
import { assert } from '../shared/assert.js';
import { newId } from '../shared/ids.js';
import { chainClient } from './client.js';
import { type EvmConfig, evm_network } from './config.js';
import type { ChainDeps } from './deps.js';

/** What a transaction Purse signs is for, and what it moves (for the records; the chain has `value`). */
export interface OutgoingTransaction {
  readonly from: HDAccount;
  readonly to: Address;
  readonly value_wei: bigint;
  readonly data?: Hex;
  readonly gas: bigint;
  readonly purpose: 'payout' | 'sweep' | 'gas';
  readonly reference_id: string;
  readonly livemode: boolean;
  readonly asset: string;
  readonly amount_minor: bigint;
}

/** The chain's fee market now, read before the transaction that signs: no RPC under a row lock. */
export interface FeeQuote {
  readonly max_fee_per_gas_wei: bigint;
  readonly max_priority_fee_per_gas_wei: bigint;
}

export async function feeQuote(config: EvmConfig, stopping?: AbortSignal): Promise<FeeQuote> {
  const fees = await chainClient(config, stopping).estimateFeesPerGas();
  return { max_fee_per_gas_wei: fees.maxFeePerGas, max_priority_fee_per_gas_wei: fees.maxPriorityFeePerGas };
}

/**
 * Signs a transaction with the sender's next nonce and stores the signed bytes, in the caller's
 * transaction: the sender's row is locked FOR UPDATE while its nonce is taken, so concurrent
 * senders queue and never share a nonce, and the raw transaction is durable before anything is
 * broadcast, so a retry sends the very same bytes (the same hash) and never a second payment.
 */
export async function signAndStore(
  db: Client,
  deps: Pick<ChainDeps, 'evm' | 'stopping'>,
  tx: OutgoingTransaction,
  fees: FeeQuote,
  now: Date,
): Promise<{ id: string; tx_hash: Hex }> {
  assert(tx.value_wei >= 0n && tx.amount_minor >= 0n, 'amounts are not negative');
  const config = deps.evm;
  const nonce = await takeNonce(db, deps, tx.from.address);
  const raw = await tx.from.signTransaction({
    chainId: config.chain_id,
    type: 'eip1559',
    nonce: Number(nonce),
    to: tx.to,
    value: tx.value_wei,
    ...(tx.data === undefined ? {} : { data: tx.data }),
    gas: tx.gas,
    maxFeePerGas: fees.max_fee_per_gas_wei,
    maxPriorityFeePerGas: fees.max_priority_fee_per_gas_wei,
  });
  const id = newId('evm_transaction', now.getTime());
  const tx_hash = keccak256(raw);
  await db.query(
    `INSERT INTO evm_transactions (id, network, livemode, sender, nonce, purpose, reference_id, asset, amount, tx_hash,
       raw, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'signed', $12, $12)`,
    [
      id,
      evm_network,
      tx.livemode,
      tx.from.address,
      nonce.toString(),
      tx.purpose,
      tx.reference_id,
      tx.asset,
      tx.amount_minor.toString(),
      tx_hash,
      raw,
      now,
    ],
  );
  return { id, tx_hash };
}

/**
 * The sender's next nonce under its row lock. A sender seen for the first time starts at the
 * chain's count of its transactions (the address may have sent before Purse knew it).
 */
async function takeNonce(
  db: Client,
  deps: Pick<ChainDeps, 'evm' | 'stopping'>,
  sender: Address,
): Promise<bigint> {
  const known = await db.query('SELECT 1 FROM evm_senders WHERE address = $1', [sender]);
  if (known.rowCount === 0) {
    const count = await chainClient(deps.evm, deps.stopping).getTransactionCount({
      address: sender,
      blockTag: 'pending',
    });
    await db.query('INSERT INTO evm_senders (address, next_nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      sender,
      count,
    ]);
  }
  const taken = await db.query<{ nonce: string }>(
    'UPDATE evm_senders SET next_nonce = next_nonce + 1 WHERE address = $1 RETURNING next_nonce - 1 AS nonce',
    [sender],
  );
  const nonce = taken.rows[0]?.nonce;
  assert(nonce !== undefined, 'the sender row exists');
  return BigInt(nonce);
}

const broadcasts_per_round_max = 200;

/**
 * One round of a task that signs (payouts, sweeps): the fees read first (no RPC under a row lock),
 * then signing and storing in one transaction, then broadcasting what is stored in another, so a
 * node that fails the broadcast leaves the signed bytes for the next round.
 */
export async function signThenBroadcast(
  deps: ChainDeps,
  now: Date,
  sign: (db: Client, fees: FeeQuote) => Promise<number>,
): Promise<number> {
  const fees = await feeQuote(deps.evm, deps.stopping);
  const signed = await inTransaction(deps.pool, (db) => sign(db, fees));
  const sent = await inTransaction(deps.pool, (db) =>
    broadcastSigned(db, deps, broadcasts_per_round_max, now),
  );
  return signed + sent.length;
}

interface SignedRow {
  id: string;
  raw: Hex;
  purpose: string;
  reference_id: string;
  livemode: boolean;
}

/**
 * Broadcasts what was signed and not yet sent, in nonce order per sender; a payout whose
 * transaction is sent is `in_transit`, in the same transaction. A node that already has the
 * transaction (a retry after a crash between sending and recording) counts as sent. A node that is
 * down leaves the rows `signed` for the next round. Returns the transactions sent.
 */
export async function broadcastSigned(
  db: Client,
  deps: Pick<ChainDeps, 'evm' | 'stopping'>,
  limit: number,
  now: Date,
): Promise<SignedRow[]> {
  const due = await db.query<SignedRow>(
    `SELECT id, raw, purpose, reference_id, livemode FROM evm_transactions WHERE status = 'signed'
      ORDER BY sender, nonce LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  const sent: SignedRow[] = [];
  for (const row of due.rows) {
    if (!(await sendRaw(deps.evm, row.raw, deps.stopping))) break;
    await db.query("UPDATE evm_transactions SET status = 'broadcast' WHERE id = $1", [row.id]);
    if (row.purpose === 'payout')
      await applyPayoutUpdate(db, row.livemode, row.reference_id, { status: 'in_transit' }, now);
    sent.push(row);
  }
  return sent;
}

/**
 * Sends signed bytes; true when the node has them (now or already). Never sends other bytes. A send
 * aborted by `stopping` counts as not sent: the bytes stay `signed` for the next start.
 */
export async function sendRaw(config: EvmConfig, raw: Hex, stopping?: AbortSignal): Promise<boolean> {
  try {
    await chainClient(config, stopping).sendRawTransaction({ serializedTransaction: raw });
    return true;
  } catch (error) {
    const message = String((error as { details?: string }).details ?? (error as Error).message).toLowerCase();
    if (message.includes('already known') || message.includes('already imported')) return true;
    if (message.includes('nonce too low')) return true;
    return false;
  }
}
