import type { Queryable } from '../db/pool.js';
import type { Violation } from './verify.js';
import { idIn } from './verify-changed.js';
import { baseSql, postings_since, type Scope } from './verify-postings.js';

/** A posting `p`'s amount as debits less credits, a release counting as the opposite side. */
export const net = `CASE WHEN (p.side = 'debit') <> p.release THEN p.amount ELSE -p.amount END`;
/** Whether a group of postings of one entry, asset and layer fails to balance. */
export const unbalanced = `sum(${net}) <> 0 OR count(*) < 2`;

/** A `transaction_balances` violation's detail, from SQL expressions of its parts. */
export function entryDetail(asset: string, layer: string, total: string, postings: string): string {
  return `format('%s %s: debits exceed credits by %s over %s postings', ${asset}, ${layer}, ${total}, ${postings})`;
}

const entry_detail = entryDetail('p.asset', 'p.layer', `sum(${net})`, 'count(*)');

/**
 * `transaction_balances`: every journal entry with a posting in the scope balances per asset and
 * layer, with at least two postings. In `since`, an entry's postings are all new or all old, as
 * they commit together (a test in verify-checkpoints.test.ts holds one open across a run).
 */
function entryChecksSql(scope: Scope, changed: readonly string[] | null): string {
  const where = changed === null ? '' : `WHERE ${idIn('$1')}`;
  const postings =
    scope === 'all'
      ? 'postings p WHERE ($1::boolean IS NULL OR p.account_number IN (SELECT number FROM accounts WHERE livemode = $1::boolean))'
      : `(${baseSql('since', where, 'false')}) b ${postings_since} WHERE b.postings_count > b.seq`;
  return `SELECT 'transaction_balances' AS check, p.transaction_id AS subject, ${entry_detail} AS detail
    FROM ${postings}
    GROUP BY p.transaction_id, p.asset, p.layer HAVING ${unbalanced}`;
}

/**
 * The entry checks of the scope: every entry of `mode` with `all`; with `since`, the new ones, of
 * the accounts `changed` (their ids; null for every account) as accountBatches lists them.
 */
export async function checkEntries(
  db: Queryable,
  scope: Scope,
  mode: boolean | null,
  changed: readonly string[] | null = null,
): Promise<Violation[]> {
  const params = scope === 'all' ? [mode] : changed === null ? [] : [changed];
  return (await db.query<Violation>(entryChecksSql(scope, changed), params)).rows;
}
