import { createHash } from 'node:crypto';
import type { Client, Queryable } from '../db/pool.js';
import { prepared } from '../db/prepared.js';
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

/** The columns a balance check needs. */
type BalanceRow = Pick<
  AccountRow,
  | 'id'
  | 'livemode'
  | 'asset'
  | 'kind'
  | 'status'
  | 'floor_minor'
  | 'posted_debits'
  | 'posted_credits'
  | 'pending_debits'
  | 'pending_credits'
  | 'postings_count'
>;

export function accountState(row: BalanceRow): AccountState {
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
  // Columns named, not `*`: a prepared statement's result shape must not change under it.
  const result = await db.query<BalanceRow>(
    prepared(
      `SELECT id, livemode, asset, kind, status, floor_minor, posted_debits, posted_credits, pending_debits,
         pending_credits, postings_count
       FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
      [[...new Set(ids)]],
    ),
  );
  return new Map(result.rows.map((row) => [row.id, accountState(row)]));
}

/** What each system account of an asset holds; every asset has one of each, per mode. */
export const system_purposes = [
  'fees',
  'escrow',
  'settlement',
  'suspense',
  'rail_clearing:card',
  'rail_clearing:bank_account',
  'rail_clearing:crypto',
  'rail_clearing:bank_file',
  'fx_position',
  'fx_spread',
  // Gas Purse pays in a chain's native coin (docs/crypto.md): a cost of the platform.
  'network_fees',
] as const;
export type SystemPurpose = (typeof system_purposes)[number];

/**
 * The id of an asset's system account for a purpose: derived, not looked up (migration 0009 and
 * `createSystemAccounts` create them with these ids, and a CHECK keeps it so). A money movement
 * therefore needs neither a query nor a second connection to name the account it posts to.
 */
export function systemAccountId(livemode: boolean, asset: string, purpose: SystemPurpose): string {
  const digest = createHash('sha256').update(`${livemode}:${asset}:${purpose}`).digest('hex');
  return `acc_${digest.slice(0, 26)}`;
}

/** Creates a new asset's system accounts, in the transaction that creates the asset. */
export async function createSystemAccounts(db: Queryable, livemode: boolean, asset: string): Promise<void> {
  await db.query('SELECT create_system_accounts($1, $2)', [livemode, asset]);
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
