import type { Queryable } from '../db/pool.js';

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
    | 'checkpoint_signature';
  readonly subject: string;
  readonly detail: string;
}

/**
 * Checks the whole ledger from its tables, independently of the code that wrote them:
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
  const checks = await Promise.all(
    [assetSums, transactionBalances, accountSums, floors, lastPostings, postingChains].map((check) =>
      check(db, mode).then((violations) => {
        on_check_done?.();
        return violations;
      }),
    ),
  );
  return checks.flat();
}

/**
 * The checks that read only the accounts (one row, or one index probe, per account): their cost
 * does not grow with the postings. The trial balance runs them on every request.
 */
export async function verifyAccounts(db: Queryable, livemode: boolean | null): Promise<Violation[]> {
  return (
    await Promise.all([assetSums(db, livemode), floors(db, livemode), lastPostings(db, livemode)])
  ).flat();
}

/** Accounts of the mode `$1`, or of both modes when it is NULL. */
const in_mode = '($1::boolean IS NULL OR livemode = $1::boolean)';
const of_mode_accounts = `($1::boolean IS NULL OR account_id IN (SELECT id FROM accounts WHERE ${in_mode}))`;

export async function assetSums(db: Queryable, mode: boolean | null): Promise<Violation[]> {
  const result = await db.query<{ livemode: boolean; asset: string; posted: string; pending: string }>(
    `SELECT livemode, asset, sum(posted_credits - posted_debits) AS posted, sum(pending_credits - pending_debits) AS pending
     FROM accounts WHERE ${in_mode} GROUP BY livemode, asset
     HAVING sum(posted_credits - posted_debits) <> 0 OR sum(pending_credits - pending_debits) <> 0`,
    [mode],
  );
  return result.rows.map((row) => ({
    check: 'asset_sums_to_zero',
    subject: `${row.asset} (${row.livemode ? 'live' : 'test'})`,
    detail: `accounts sum to ${row.posted} posted and ${row.pending} pending instead of 0`,
  }));
}

export async function transactionBalances(db: Queryable, mode: boolean | null): Promise<Violation[]> {
  const result = await db.query<{
    transaction_id: string;
    asset: string;
    layer: string;
    net: string;
    postings: string;
  }>(
    `SELECT transaction_id, asset, layer, count(*) AS postings,
       sum(CASE WHEN (side = 'debit') <> release THEN amount ELSE -amount END) AS net
     FROM postings WHERE ${of_mode_accounts} GROUP BY transaction_id, asset, layer
     HAVING sum(CASE WHEN (side = 'debit') <> release THEN amount ELSE -amount END) <> 0 OR count(*) < 2`,
    [mode],
  );
  return result.rows.map((row) => ({
    check: 'transaction_balances',
    subject: row.transaction_id,
    detail: `${row.asset} ${row.layer}: debits exceed credits by ${row.net} over ${row.postings} postings`,
  }));
}

async function accountSums(db: Queryable, mode: boolean | null): Promise<Violation[]> {
  const result = await db.query<{ id: string; detail: string }>(
    `WITH sums AS (
       SELECT account_id,
         coalesce(sum(amount) FILTER (WHERE layer = 'posted' AND side = 'debit'), 0) AS pd,
         coalesce(sum(amount) FILTER (WHERE layer = 'posted' AND side = 'credit'), 0) AS pc,
         coalesce(sum(CASE WHEN release THEN -amount ELSE amount END) FILTER (WHERE layer = 'pending' AND side = 'debit'), 0) AS hd,
         coalesce(sum(CASE WHEN release THEN -amount ELSE amount END) FILTER (WHERE layer = 'pending' AND side = 'credit'), 0) AS hc,
         count(*) AS n,
         max(account_seq) AS last_seq
       FROM postings WHERE ${of_mode_accounts} GROUP BY account_id)
     SELECT a.id, format('counters %s/%s/%s/%s over %s postings; postings sum to %s/%s/%s/%s over %s numbered up to %s (posted debits/credits, pending debits/credits)',
       a.posted_debits, a.posted_credits, a.pending_debits, a.pending_credits, a.postings_count,
       coalesce(s.pd, 0), coalesce(s.pc, 0), coalesce(s.hd, 0), coalesce(s.hc, 0), coalesce(s.n, 0), coalesce(s.last_seq, 0)) AS detail
     FROM accounts a LEFT JOIN sums s ON s.account_id = a.id
     WHERE ($1::boolean IS NULL OR a.livemode = $1::boolean)
       AND (a.posted_debits, a.posted_credits, a.pending_debits, a.pending_credits, a.postings_count, a.postings_count)
       IS DISTINCT FROM (coalesce(s.pd, 0), coalesce(s.pc, 0), coalesce(s.hd, 0), coalesce(s.hc, 0), coalesce(s.n, 0), coalesce(s.last_seq, 0))`,
    [mode],
  );
  return result.rows.map((row) => ({
    check: 'balance_matches_postings',
    subject: row.id,
    detail: row.detail,
  }));
}

export async function floors(db: Queryable, mode: boolean | null): Promise<Violation[]> {
  const result = await db.query<{ id: string; available: string; floor_minor: string }>(
    `SELECT id, posted_credits - posted_debits - pending_debits AS available, floor_minor FROM accounts
     WHERE ${in_mode} AND floor_minor IS NOT NULL AND posted_credits - posted_debits - pending_debits < floor_minor`,
    [mode],
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
async function lastPostings(db: Queryable, mode: boolean | null): Promise<Violation[]> {
  const result = await db.query<{ id: string; detail: string }>(
    `SELECT a.id, format('last posting %s says %s/%s/%s, account has %s/%s/%s (posted/held/incoming)',
       coalesce(p.id, format('number %s (missing)', a.postings_count)), p.posted_after, p.held_after, p.incoming_after,
       a.posted_credits - a.posted_debits, a.pending_debits, a.pending_credits) AS detail
     FROM accounts a
     LEFT JOIN LATERAL (SELECT id, posted_after, held_after, incoming_after FROM postings
       WHERE account_id = a.id AND account_seq = a.postings_count) p ON true
     WHERE ($1::boolean IS NULL OR a.livemode = $1::boolean) AND a.postings_count > 0
       AND (p.posted_after, p.held_after, p.incoming_after)
       IS DISTINCT FROM (a.posted_credits - a.posted_debits, a.pending_debits, a.pending_credits)`,
    [mode],
  );
  return result.rows.map((row) => ({
    check: 'last_posting_matches_balance',
    subject: row.id,
    detail: row.detail,
  }));
}

/**
 * Each posting's balances after it must be the previous posting's (on the same account, by
 * account_seq) plus its own amount, and its created_at_max the later of its created_at and the
 * previous posting's (migration 0035). An edited amount or balance breaks this at that posting: the
 * first such posting of each account is reported by id.
 */
async function postingChains(db: Queryable, mode: boolean | null): Promise<Violation[]> {
  const result = await db.query<{ id: string; account_id: string; detail: string }>(
    `WITH steps AS (
       SELECT id, account_id, account_seq, posted_after, held_after, incoming_after,
         coalesce(lag(posted_after) OVER w, 0)
           + CASE WHEN layer = 'posted' THEN CASE side WHEN 'credit' THEN amount ELSE -amount END ELSE 0 END AS posted_expected,
         coalesce(lag(held_after) OVER w, 0)
           + CASE WHEN layer = 'pending' AND side = 'debit' THEN CASE WHEN release THEN -amount ELSE amount END ELSE 0 END AS held_expected,
         coalesce(lag(incoming_after) OVER w, 0)
           + CASE WHEN layer = 'pending' AND side = 'credit' THEN CASE WHEN release THEN -amount ELSE amount END ELSE 0 END AS incoming_expected,
         created_at_max, greatest(created_at, lag(created_at_max) OVER w) AS created_at_max_expected
       FROM postings WHERE ${of_mode_accounts} WINDOW w AS (PARTITION BY account_id ORDER BY account_seq))
     SELECT DISTINCT ON (account_id) id, account_id,
       format('posting %s of account %s says %s/%s/%s after it, dated up to %s, the postings before it and its amount give %s/%s/%s up to %s (posted/held/incoming)',
         account_seq, account_id, posted_after, held_after, incoming_after, created_at_max, posted_expected, held_expected,
         incoming_expected, created_at_max_expected) AS detail
     FROM steps
     WHERE (posted_after, held_after, incoming_after, created_at_max)
       IS DISTINCT FROM (posted_expected, held_expected, incoming_expected, created_at_max_expected)
     ORDER BY account_id, account_seq`,
    [mode],
  );
  return result.rows.map((row) => ({
    check: 'posting_follows_previous',
    subject: row.id,
    detail: row.detail,
  }));
}
