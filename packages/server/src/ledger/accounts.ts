import type { Client, Pool, Queryable } from '../db/pool.js';
import { newId } from '../shared/ids.js';
import { minorFromDb } from '../shared/money.js';
import type { AccountState } from './entries.js';

export interface AccountRow {
  id: string;
  livemode: boolean;
  asset: string;
  kind: 'wallet' | 'system';
  purpose: string | null;
  holder_id: string | null;
  status: 'active' | 'frozen' | 'closed';
  floor_minor: string | null;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
  version: string;
  postings_count: string;
  settlement_delay_days: number;
  metadata: Record<string, string>;
  created_at: Date;
}

export function accountState(row: AccountRow): AccountState {
  return {
    id: row.id,
    livemode: row.livemode,
    asset: row.asset,
    kind: row.kind,
    status: row.status,
    floor_minor: row.floor_minor === null ? null : minorFromDb(row.floor_minor),
    posted_debits: minorFromDb(row.posted_debits),
    posted_credits: minorFromDb(row.posted_credits),
    pending_debits: minorFromDb(row.pending_debits),
    pending_credits: minorFromDb(row.pending_credits),
    postings_count: BigInt(row.postings_count),
  };
}

/**
 * Locks the accounts, always in id order so that concurrent writers touching overlapping
 * accounts queue instead of deadlocking, and returns their current state.
 */
export async function lockAccounts(db: Client, ids: readonly string[]): Promise<Map<string, AccountState>> {
  const result = await db.query<AccountRow>(
    'SELECT * FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
    [[...new Set(ids)]],
  );
  return new Map(result.rows.map((row) => [row.id, accountState(row)]));
}

/** The kinds of system account; `rail_clearing:<rail>` per rail. */
export type SystemPurpose = 'fees' | 'escrow' | 'settlement' | 'suspense' | `rail_clearing:${string}`;

/**
 * The system account for a purpose, asset and mode, created on first use. Concurrent first uses
 * race on the unique index and all end up with the one row.
 */
// Per database (pool): tests run several databases in one process.
const system_account_ids = new WeakMap<Pool, Map<string, string>>();

/**
 * System accounts are never deleted or renumbered, so their ids are cached per process. They are
 * created through the pool, committed at once and outside the caller's transaction: an empty
 * account is harmless, and a rollback of the caller can then never leave a cached id dangling.
 */
export async function systemAccountId(
  db: Pool,
  livemode: boolean,
  asset: string,
  purpose: SystemPurpose,
): Promise<string> {
  const cache_key = `${livemode}:${asset}:${purpose}`;
  const ids = system_account_ids.get(db) ?? new Map<string, string>();
  system_account_ids.set(db, ids);
  const cached = ids.get(cache_key);
  if (cached !== undefined) return cached;
  const id = await findOrCreateSystemAccount(db, livemode, asset, purpose);
  ids.set(cache_key, id);
  return id;
}

async function findOrCreateSystemAccount(
  db: Queryable,
  livemode: boolean,
  asset: string,
  purpose: SystemPurpose,
): Promise<string> {
  const existing = await db.query<{ id: string }>(
    "SELECT id FROM accounts WHERE kind = 'system' AND livemode = $1 AND asset = $2 AND purpose = $3",
    [livemode, asset, purpose],
  );
  if (existing.rows[0] !== undefined) return existing.rows[0].id;
  await db.query(
    `INSERT INTO accounts (id, livemode, asset, kind, purpose) VALUES ($1, $2, $3, 'system', $4)
     ON CONFLICT (livemode, asset, purpose) WHERE kind = 'system' DO NOTHING`,
    [newId('system_account'), livemode, asset, purpose],
  );
  return findOrCreateSystemAccount(db, livemode, asset, purpose);
}

export interface NewWallet {
  readonly livemode: boolean;
  readonly asset: string;
  readonly holder_id: string | null;
  readonly floor_minor: bigint;
  readonly settlement_delay_days: number;
  readonly metadata: Record<string, string>;
}

export async function insertWallet(db: Queryable, wallet: NewWallet, now: Date): Promise<AccountRow> {
  const result = await db.query<AccountRow>(
    `INSERT INTO accounts (id, livemode, asset, kind, holder_id, floor_minor, settlement_delay_days, metadata, created_at)
     VALUES ($1, $2, $3, 'wallet', $4, $5, $6, $7, $8) RETURNING *`,
    [
      newId('wallet', now.getTime()),
      wallet.livemode,
      wallet.asset,
      wallet.holder_id,
      wallet.floor_minor.toString(),
      wallet.settlement_delay_days,
      wallet.metadata,
      now,
    ],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('INSERT ... RETURNING gave no row');
  return row;
}

export async function findWallet(
  db: Queryable,
  livemode: boolean,
  id: string,
  for_update = false,
): Promise<AccountRow | undefined> {
  const result = await db.query<AccountRow>(
    `SELECT * FROM accounts WHERE id = $1 AND livemode = $2 AND kind = 'wallet'${for_update ? ' FOR UPDATE' : ''}`,
    [id, livemode],
  );
  return result.rows[0];
}

export async function setWalletStatus(
  db: Queryable,
  id: string,
  status: AccountRow['status'],
): Promise<AccountRow> {
  const result = await db.query<AccountRow>(
    'UPDATE accounts SET status = $2, version = version + 1 WHERE id = $1 RETURNING *',
    [id, status],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error(`account ${id} vanished`);
  return row;
}
