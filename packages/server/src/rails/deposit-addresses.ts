import type { Queryable } from '../db/pool.js';
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

/** The wallet's deposit address on a network, made on first use; one per wallet and network. */
export async function depositAddress(
  db: Queryable,
  livemode: boolean,
  wallet_id: string,
  network: string,
  now: Date,
): Promise<DepositAddress> {
  await db.query(
    `INSERT INTO deposit_addresses (address, livemode, wallet_id, network, created_at)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [sandboxDepositAddress(wallet_id, network), livemode, wallet_id, network, now],
  );
  const result = await db.query<AddressRow>(
    'SELECT * FROM deposit_addresses WHERE wallet_id = $1 AND network = $2',
    [wallet_id, network],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('deposit address vanished');
  return { object: 'deposit_address', ...row, created_at: row.created_at.toISOString() };
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
