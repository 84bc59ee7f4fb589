import { type Address, type Block, getAddress, type Hex, parseAbiItem } from 'viem';
import { type Client, inTransaction } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { chainClient } from './client.js';
import { type EvmConfig, evm_network } from './config.js';
import type { ChainDeps } from './deps.js';
import { recordDeposits, type SeenDeposit } from './record-deposit.js';

export const transfer_event = parseAbiItem(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);

interface Cursor {
  next_block: bigint;
  last_block_hash: string | null;
}

/**
 * One round of the block watcher: reads blocks from the stored cursor towards the head (at most
 * `blocks_per_round_max`), finds native transfers and ERC-20 Transfer logs to deposit addresses,
 * records each deposit once and moves the cursor, all in one transaction that holds the cursor's
 * row lock. A second worker skips the round (SKIP LOCKED); a worker killed mid-round commits
 * nothing, and the next round reads the same blocks again. Returns the deposits recorded.
 */
export async function watchChain(deps: ChainDeps, now: Date): Promise<number> {
  const config = deps.evm;
  const head = await chainClient(config, deps.stopping).getBlockNumber({ cacheTime: 0 });
  return inTransaction(deps.pool, async (db) => {
    const cursor = await lockCursor(db, config, head);
    if (cursor === undefined || cursor.next_block > head) return 0;
    if (await replacedBelow(config, cursor, deps.stopping)) {
      const back = cursor.next_block - BigInt(config.reorg_depth_max);
      await saveCursor(db, back > 0n ? back : 0n, null);
      return 0;
    }
    const last = min(head, cursor.next_block + BigInt(config.blocks_per_round_max) - 1n);
    const seen = await depositsIn(db, config, { first: cursor.next_block, last }, deps.stopping);
    const recorded = await recordDeposits(db, deps, seen.deposits, now);
    await saveCursor(db, last + 1n, seen.last_hash);
    return recorded;
  });
}

async function lockCursor(db: Client, config: EvmConfig, head: bigint): Promise<Cursor | undefined> {
  await db.query('INSERT INTO chain_cursors (network, next_block) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
    evm_network,
    (config.start_block ?? head).toString(),
  ]);
  const found = await db.query<{ next_block: string; last_block_hash: string | null }>(
    'SELECT next_block, last_block_hash FROM chain_cursors WHERE network = $1 FOR UPDATE SKIP LOCKED',
    [evm_network],
  );
  const row = found.rows[0];
  return row === undefined
    ? undefined
    : { next_block: BigInt(row.next_block), last_block_hash: row.last_block_hash };
}

async function saveCursor(db: Client, next_block: bigint, last_block_hash: string | null): Promise<void> {
  await db.query('UPDATE chain_cursors SET next_block = $2, last_block_hash = $3 WHERE network = $1', [
    evm_network,
    next_block.toString(),
    last_block_hash,
  ]);
}

/** Whether the last block read is no longer the chain's at its height: the chain was reorganised. */
async function replacedBelow(config: EvmConfig, cursor: Cursor, stopping?: AbortSignal): Promise<boolean> {
  if (cursor.last_block_hash === null || cursor.next_block === 0n) return false;
  const block = await chainClient(config, stopping).getBlock({ blockNumber: cursor.next_block - 1n });
  return block.hash !== cursor.last_block_hash;
}

/**
 * The transfers in blocks first..last that pay a deposit address, with the hash of the last block.
 * Native transfers come from the blocks' transactions; token transfers from one eth_getLogs over
 * every configured contract; both are matched against the deposit addresses in one query.
 */
async function depositsIn(
  db: Client,
  config: EvmConfig,
  { first, last }: { readonly first: bigint; readonly last: bigint },
  stopping?: AbortSignal,
): Promise<{ deposits: SeenDeposit[]; last_hash: string }> {
  const client = chainClient(config, stopping);
  const blocks: Block<bigint, true>[] = [];
  for (let number = first; number <= last; number += 1n)
    blocks.push(await client.getBlock({ blockNumber: number, includeTransactions: true }));
  const candidates: SeenDeposit[] = [];
  const native = config.assets.find((asset) => asset.token === null);
  for (const block of blocks) {
    assert(block.number !== null && block.hash !== null, 'a mined block has a number and a hash');
    for (const tx of block.transactions)
      if (tx.to !== null && tx.value > 0n && native !== undefined)
        candidates.push(
          seen(tx.hash, -1, getAddress(tx.to), native.asset, tx.value, block.number, block.hash),
        );
  }
  const tokens = config.assets.filter((asset) => asset.token !== null);
  if (tokens.length > 0) {
    const logs = await client.getLogs({
      address: tokens.map((asset) => asset.token as Address),
      event: transfer_event,
      fromBlock: first,
      toBlock: last,
    });
    for (const log of logs) {
      const asset = tokens.find((item) => item.token?.toLowerCase() === log.address.toLowerCase());
      const { to, value } = log.args;
      if (asset === undefined || to === undefined || value === undefined || value === 0n) continue;
      candidates.push(
        seen(
          log.transactionHash,
          log.logIndex,
          getAddress(to),
          asset.asset,
          value,
          log.blockNumber,
          log.blockHash,
        ),
      );
    }
  }
  const known = await knownAddresses(db, [...new Set(candidates.map((deposit) => deposit.address))]);
  const last_hash = blocks[blocks.length - 1]?.hash;
  assert(last_hash !== undefined && last_hash !== null, `block ${last} was read`);
  return { deposits: candidates.filter((deposit) => known.has(deposit.address)), last_hash };
}

function seen(
  tx_hash: Hex,
  log_index: number,
  address: Address,
  asset: string,
  amount_minor: bigint,
  block_number: bigint,
  block_hash: Hex,
): SeenDeposit {
  return { tx_hash, log_index, address, asset, amount_minor, block_number, block_hash };
}

async function knownAddresses(db: Client, addresses: readonly string[]): Promise<Set<string>> {
  if (addresses.length === 0) return new Set();
  const found = await db.query<{ address: string }>(
    'SELECT address FROM deposit_addresses WHERE network = $1 AND address = ANY($2::text[])',
    [evm_network, addresses],
  );
  return new Set(found.rows.map((row) => row.address));
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
