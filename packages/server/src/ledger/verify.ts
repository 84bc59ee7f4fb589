import type { Queryable } from '../db/pool.js';
import type { EventViolation } from '../events/verify-events.js';
import { idIn } from './verify-changed.js';
import { checkEntries } from './verify-entries.js';
import { checkAllAccounts } from './verify-postings.js';

export interface Violation {
  readonly check:
    | 'asset_sums_to_zero'
    | 'transaction_balances'
    | 'balance_matches_postings'
    | 'wallet_above_floor'
    | 'last_posting_matches_balance'
    | 'posting_follows_previous'
    | 'audit_chain'
    | 'checkpoint_matches_digest'
    | 'checkpoint_signature'
    | EventViolation['check'];
  readonly subject: string;
  readonly detail: string;
}

/**
 * Checks the whole ledger from its tables, independently of the code that wrote them (the
 * posting-level checks are those of `purse verify`, verify-postings.ts, over every posting):
 * every asset sums to zero per mode and layer; every journal entry balances; every account's
 * counters equal the sums of its postings and its last posting's "after" balances; no wallet is
 * below its floor; every posting's "after" balances follow from the posting before it on its account,
 * which names the very posting that was edited. Returns every violation found (empty: sound).
 */
export async function verifyLedger(
  db: Queryable,
  livemode?: boolean,
  on_check_done?: () => void,
): Promise<Violation[]> {
  // A mode's report (a trial balance) names only that mode's objects; `purse verify` checks both.
  const mode = livemode ?? null;
  const entries = (db: Queryable, mode: boolean | null) => checkEntries(db, 'all', mode);
  const checks = await Promise.all(
    [assetSums, entries, checkAllAccounts, floors, lastPostings].map((check) =>
      check(db, mode).then((violations) => {
        on_check_done?.();
        return violations;
      }),
    ),
  );
  return checks.flat();
}

/**
 * The checks that read only the accounts (one row, or one index probe, per account with activity):
 * their cost grows neither with the postings nor with the wallets that never moved. The trial
 * balance runs them on every request.
 */
export async function verifyAccounts(db: Queryable, livemode: boolean | null): Promise<Violation[]> {
  const checks = [assetSums, floors, lastPostings];
  return (await Promise.all(checks.map((check) => check(db, livemode, 'with_activity')))).flat();
}

/**
 * Which accounts the account-level checks read: every one (`purse verify` from the start); those
 * with activity (migration 0048: an account without any has no postings and zero counters, so it
 * cannot break a check); or the ids written since the checkpoint (verify-changed.ts), when the
 * others are as the checkpoint verified them.
 */
export type AccountScope = 'every' | 'with_activity' | readonly string[];

/** SQL: account `a` is of the mode `$1` (both when it is NULL) and in `scope` (ids in `$2`). */
function inScope(scope: AccountScope): string {
  const mode = '($1::boolean IS NULL OR a.livemode = $1::boolean)';
  if (scope === 'every') return mode;
  return `${mode} AND ${scope === 'with_activity' ? 'a.has_activity' : idIn('$2')}`;
}

function scopeParams(mode: boolean | null, scope: AccountScope): unknown[] {
  return typeof scope === 'string' ? [mode] : [mode, scope];
}

/**
 * Every asset sums to zero per mode and layer. Over the accounts written since a checkpoint, it is
 * their movement since their checkpointed counters that sums to zero (an account without postings
 * then had none, or the checkpoint would not have been recorded).
 */
export async function assetSums(
  db: Queryable,
  mode: boolean | null,
  scope: AccountScope = 'every',
): Promise<Violation[]> {
  const since_checkpoint = typeof scope !== 'string';
  const [posted, pending] = since_checkpoint
    ? [
        'a.posted_credits - a.posted_debits - coalesce(c.posted_credits - c.posted_debits, 0)',
        'a.pending_credits - a.pending_debits - coalesce(c.pending_credits - c.pending_debits, 0)',
      ]
    : ['a.posted_credits - a.posted_debits', 'a.pending_credits - a.pending_debits'];
  const checkpointed = since_checkpoint
    ? 'LEFT JOIN ledger_checkpoint_accounts c ON c.account_id = a.id'
    : '';
  const result = await db.query<{ livemode: boolean; asset: string; posted: string; pending: string }>(
    `SELECT a.livemode, a.asset, sum(${posted}) AS posted, sum(${pending}) AS pending
     FROM accounts a ${checkpointed} WHERE ${inScope(scope)} GROUP BY a.livemode, a.asset
     HAVING sum(${posted}) <> 0 OR sum(${pending}) <> 0`,
    scopeParams(mode, scope),
  );
  const what = since_checkpoint ? 'the accounts written since the checkpoint moved' : 'accounts sum';
  return result.rows.map((row) => ({
    check: 'asset_sums_to_zero',
    subject: `${row.asset} (${row.livemode ? 'live' : 'test'})`,
    detail: `${what} to ${row.posted} posted and ${row.pending} pending instead of 0`,
  }));
}

export async function floors(
  db: Queryable,
  mode: boolean | null,
  scope: AccountScope = 'every',
): Promise<Violation[]> {
  const result = await db.query<{ id: string; available: string; floor_minor: string }>(
    `SELECT a.id, a.posted_credits - a.posted_debits - a.pending_debits AS available, a.floor_minor FROM accounts a
     WHERE ${inScope(scope)} AND a.floor_minor IS NOT NULL
       AND a.posted_credits - a.posted_debits - a.pending_debits < a.floor_minor`,
    scopeParams(mode, scope),
  );
  return result.rows.map((row) => ({
    check: 'wallet_above_floor',
    subject: row.id,
    detail: `available ${row.available} is below the floor ${row.floor_minor}`,
  }));
}

/**
 * Each account's posting numbered postings_count (its last) says the balances the account has.
 * One exact seek of the (account_id, account_seq) index per account with postings: an account
 * without any is not probed, and a missing last posting is itself a violation.
 */
export async function lastPostings(
  db: Queryable,
  mode: boolean | null,
  scope: AccountScope = 'every',
): Promise<Violation[]> {
  const result = await db.query<{ id: string; detail: string }>(
    `SELECT a.id, format('last posting %s says %s/%s/%s, account has %s/%s/%s (posted/held/incoming)',
       format(CASE WHEN p.account_seq IS NULL THEN 'number %s (missing)' ELSE 'number %s' END, a.postings_count),
       p.posted_after, p.held_after, p.incoming_after,
       a.posted_credits - a.posted_debits, a.pending_debits, a.pending_credits) AS detail
     FROM accounts a
     LEFT JOIN LATERAL (SELECT account_seq, posted_after, held_after, incoming_after FROM postings
       WHERE account_number = a.number AND account_seq = a.postings_count) p ON true
     WHERE ${inScope(scope)} AND a.postings_count > 0
       AND (p.posted_after, p.held_after, p.incoming_after)
       IS DISTINCT FROM (a.posted_credits - a.posted_debits, a.pending_debits, a.pending_credits)`,
    scopeParams(mode, scope),
  );
  return result.rows.map((row) => ({
    check: 'last_posting_matches_balance',
    subject: row.id,
    detail: row.detail,
  }));
}
