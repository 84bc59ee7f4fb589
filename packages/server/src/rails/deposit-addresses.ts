import { type EvmConfig, evm_network } from '../chain/config.js';
import { addressAt, hdRoot, hot_wallet_index } from '../chain/keys.js';
import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { sandboxDepositAddress } from './sandbox/crypto.js';

export interface DepositAddress {
  readonly object: 'deposit_address';
  readonly address: string;
  readonly network: string;
  readonly wallet_id: string;
  readonly livemode: boolean;
  readonly created_at: string;
}

interface AddressRow {
  address: string;
  network: string;
  wallet_id: string;
  livemode: boolean;
  created_at: Date;
}

/**
 * The wallet's deposit address on a network, made on first use; one per wallet and network. On the
 * EVM network with a configured chain it is derived from the rail's HD seed at the next index;
 * otherwise it is the sandbox's made-up address.
 */
export async function depositAddress(
  db: Queryable,
  livemode: boolean,
  wallet_id: string,
  network: string,
  now: Date,
  evm: EvmConfig | undefined,
): Promise<DepositAddress> {
  const existing = await findAddress(db, wallet_id, network);
  if (existing !== undefined) return existing;
  const derived = evm !== undefined && network === evm_network ? await nextDerived(db, evm, now) : undefined;
  await db.query(
    `INSERT INTO deposit_addresses (address, livemode, wallet_id, network, created_at, derivation_index)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [
      derived?.address ?? sandboxDepositAddress(wallet_id, network),
      livemode,
      wallet_id,
      network,
      now,
      derived?.index ?? null,
    ],
  );
  const row = await findAddress(db, wallet_id, network);
  if (row === undefined) throw new Error('deposit address vanished');
  return row;
}

/** A fresh HD index from the database's sequence (a gap after a lost race is harmless). */
async function nextDerived(
  db: Queryable,
  evm: EvmConfig,
  now: Date,
): Promise<{ address: string; index: number }> {
  const root = await hdRoot(db, evm, now);
  const next = await db.query<{ index: string }>("SELECT nextval('evm_derivation_index_seq') AS index");
  const index = Number(next.rows[0]?.index);
  assert(
    Number.isSafeInteger(index) && index > hot_wallet_index,
    'deposit indexes start after the hot wallet',
  );
  return { address: addressAt(root, index), index };
}

async function findAddress(
  db: Queryable,
  wallet_id: string,
  network: string,
): Promise<DepositAddress | undefined> {
  const result = await db.query<AddressRow>(
    'SELECT address, network, wallet_id, livemode, created_at FROM deposit_addresses WHERE wallet_id = $1 AND network = $2',
    [wallet_id, network],
  );
  const row = result.rows[0];
  return row === undefined
    ? undefined
    : { object: 'deposit_address', ...row, created_at: row.created_at.toISOString() };
}

/** The wallet an address belongs to, for a deposit seen on chain. */
export async function addressOwner(
  db: Queryable,
  livemode: boolean,
  address: string,
): Promise<{ wallet_id: string; network: string } | undefined> {
  const result = await db.query<{ wallet_id: string; network: string }>(
    'SELECT wallet_id, network FROM deposit_addresses WHERE address = $1 AND livemode = $2',
    [address, livemode],
  );
  return result.rows[0];
}
