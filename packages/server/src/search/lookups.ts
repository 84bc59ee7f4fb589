import { keyedHash, openNullable } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import { minorFromDb } from '../shared/money.js';
import type { HolderFound, MoneyFound } from './hits.js';

/**
 * The indexed lookups search is made of: each is a primary-key probe or a probe of a unique or
 * partial index with its whole prefix given, so none reads more rows than it returns (+1).
 */

export async function holdersMatching(
  db: Queryable,
  livemode: boolean,
  q: string,
  limit: number,
): Promise<HolderFound[]> {
  // Emails are sealed: equality goes through their keyed hash, on the exact text (holders_email_hash).
  const found = await db.query<HolderFound>(
    `SELECT id, livemode, name, email, external_id, kyc_status, created_at FROM holders
     WHERE livemode = $1 AND id = $2
     UNION SELECT id, livemode, name, email, external_id, kyc_status, created_at FROM holders
     WHERE livemode = $1 AND external_id = $2
     UNION SELECT * FROM (SELECT id, livemode, name, email, external_id, kyc_status, created_at FROM holders
       WHERE livemode = $1 AND email_hash = $3 ORDER BY id DESC LIMIT $4) by_email`,
    [livemode, q, keyedHash('holder_email', q), limit],
  );
  return found.rows.map((row) => ({
    ...row,
    name: openNullable('personal', row.name),
    email: openNullable('personal', row.email),
  }));
}

interface MoneyRow {
  id: string;
  livemode: boolean;
  asset: string;
  amount: string;
  status: string;
  party: string | null;
  created_at: Date;
}

const money_tables = {
  transfer: { table: 'transfers', amount: 'amount', party: 'source_wallet_id' },
  payment: { table: 'payments', amount: 'amount', party: 'wallet_id' },
  payout: { table: 'payouts', amount: 'amount', party: 'wallet_id' },
} as const;

export type MovementKind = keyof typeof money_tables;

function columns(kind: MovementKind): string {
  const { amount, party } = money_tables[kind];
  return `o.id, o.livemode, o.asset, o.${amount}::text AS amount, o.status, o.${party} AS party, o.created_at`;
}

function found(kind: MoneyFound['object'], rows: readonly MoneyRow[]): MoneyFound[] {
  return rows.map((row) => ({ ...row, object: kind, amount_minor: minorFromDb(row.amount) }));
}

export async function movementById(
  db: Queryable,
  kind: MovementKind,
  livemode: boolean,
  id: string,
): Promise<MoneyFound[]> {
  const rows = await db.query<MoneyRow>(
    `SELECT ${columns(kind)} FROM ${money_tables[kind].table} o WHERE o.id = $1 AND o.livemode = $2`,
    [id, livemode],
  );
  return found(kind, rows.rows);
}

/**
 * Exported so a test can read its plan: parameters livemode, assets[], amounts[], limit.
 *
 * Why a range and a filter instead of equalities: with `t.asset = wanted.asset AND t.amount =
 * wanted.amount ... ORDER BY t.id DESC`, the equalities make the index's leading columns
 * redundant for the order, so the primary key also gives it; over 1,000,000 transfers of 0.01 the
 * statistics said half the table matched any asset, the planner walked the primary key backwards
 * filtering, and for every asset nothing matched it read the whole table (15 s, the statement
 * timeout, in the bench). Only `<table>_amount` gives the order of (livemode, asset, amount, id),
 * so this reads at most `limit` index entries per asset, whatever the statistics say, and the
 * outer filter keeps those of exactly that amount (they come first in that order).
 */
export function amountStatement(kind: MovementKind): string {
  return `SELECT ${columns(kind)} FROM unnest($2::text[], $3::numeric[]) AS wanted(asset, amount)
    CROSS JOIN LATERAL (SELECT * FROM ${money_tables[kind].table} t
      WHERE (t.livemode, t.asset, t.amount) <= ($1, wanted.asset, wanted.amount)
      ORDER BY t.livemode DESC, t.asset DESC, t.amount DESC, t.id DESC LIMIT $4) o
    WHERE o.livemode = $1 AND o.asset = wanted.asset AND o.amount = wanted.amount`;
}

/** One probe of `<table>_amount` (livemode, asset, amount, id) per asset the amount fits. */
export async function movementsByAmount(
  db: Queryable,
  kind: MovementKind,
  livemode: boolean,
  amounts: readonly { asset: string; amount_minor: bigint }[],
  limit: number,
): Promise<MoneyFound[]> {
  if (amounts.length === 0) return [];
  const rows = await db.query<MoneyRow>(amountStatement(kind), [
    livemode,
    amounts.map((one) => one.asset),
    amounts.map((one) => one.amount_minor.toString()),
    limit,
  ]);
  return found(kind, rows.rows);
}

export async function walletById(db: Queryable, livemode: boolean, id: string): Promise<MoneyFound[]> {
  const rows = await db.query<MoneyRow>(
    `SELECT id, livemode, asset, (posted_credits - posted_debits)::text AS amount, status,
       holder_id AS party, created_at
     FROM accounts WHERE id = $1 AND livemode = $2 AND kind = 'wallet'`,
    [id, livemode],
  );
  return found('wallet', rows.rows);
}

/** The assets of the mode with their scales, to read an amount in each. */
export async function modeAssets(
  db: Queryable,
  livemode: boolean,
): Promise<{ code: string; scale: number }[]> {
  const rows = await db.query<{ code: string; scale: number }>(
    'SELECT code, scale FROM assets WHERE livemode = $1 ORDER BY code',
    [livemode],
  );
  return rows.rows;
}
