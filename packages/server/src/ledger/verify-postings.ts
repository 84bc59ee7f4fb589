import type { Client } from '../db/pool.js';
import { transactionBalances, type Violation } from './verify.js';

/** New postings a batch of accounts covers at most (an account with more is a batch alone). */
const batch_postings_max = 50_000;

/**
 * Checks every account's postings after its checkpointed state (ledger_checkpoint_accounts; from
 * zero with `from_start`), in batches of accounts, inside the caller's REPEATABLE READ transaction:
 * each posting follows the one before it (the checkpointed state for the first), the postings sum
 * to the change of the account's counters, and the last one equals the counters. An account's
 * postings are numbered under its row lock in the transaction that updates its counters, so the
 * snapshot holds exactly postings 1..postings_count of each account: a transaction that commits
 * later has numbers above them, checked by the next run. Calls `on_postings` after each batch with
 * how many postings it checked; returns the violations and how many postings were checked.
 */
export async function verifyAccountsAfterCheckpoint(
  client: Client,
  from_start: boolean,
  on_postings: (count: number) => void,
): Promise<{ violations: Violation[]; postings_checked: number }> {
  const violations: Violation[] = [];
  let postings_checked = 0;
  for (const batch of await batches(client, from_start)) {
    const found = await client.query<Violation>(batch_checks, [batch.ids, from_start]);
    violations.push(...found.rows);
    postings_checked += batch.postings;
    on_postings(batch.postings);
  }
  return { violations, postings_checked };
}

/**
 * Every journal entry with a posting after the checkpoint balances per asset and layer, with at
 * least two postings: its postings are all new or all old, as they commit together (a test in
 * verify-checkpoints.test.ts holds one open across a run). Runs on a second connection in the same
 * snapshot, beside the account batches: on two cores the run takes the longer of the two.
 */
export async function verifyEntriesAfterCheckpoint(
  client: Client,
  from_start: boolean,
): Promise<Violation[]> {
  // From the start, one scan of the whole table beats a range scan per account (9 s against 27 s
  // over 3.6 million postings).
  if (from_start) return transactionBalances(client, null);
  const result = await client.query<Violation>(
    `SELECT 'transaction_balances' AS check, p.transaction_id AS subject,
       format('%s %s: debits exceed credits by %s over %s postings', p.asset, p.layer,
         sum(CASE WHEN (p.side = 'debit') <> p.release THEN p.amount ELSE -p.amount END), count(*)) AS detail
     FROM (${baseSql('$1')}) b
     -- OFFSET 0 keeps the subquery a per-account index range scan: flattened into a join, the
     -- planner hashes the whole postings table, and the run grows with the ledger.
     CROSS JOIN LATERAL (SELECT * FROM postings p WHERE p.account_id = b.id AND p.account_seq > b.seq OFFSET 0) p
     WHERE b.postings_count > b.seq
     GROUP BY p.transaction_id, p.asset, p.layer
     HAVING sum(CASE WHEN (p.side = 'debit') <> p.release THEN p.amount ELSE -p.amount END) <> 0 OR count(*) < 2`,
    [from_start],
  );
  return result.rows;
}

/** Each account's checkpointed state, zero where it has none or the parameter `from_start` is true. */
const baseSql = (
  from_start: string,
) => `SELECT a.id, a.posted_debits, a.posted_credits, a.pending_debits, a.pending_credits, a.postings_count,
    coalesce(c.account_seq, 0) AS seq, coalesce(c.posted_after, 0) AS posted, coalesce(c.held_after, 0) AS held,
    coalesce(c.incoming_after, 0) AS incoming, c.created_at_max,
    coalesce(c.posted_debits, 0) AS pd, coalesce(c.posted_credits, 0) AS pc,
    coalesce(c.pending_debits, 0) AS hd, coalesce(c.pending_credits, 0) AS hc
  FROM accounts a LEFT JOIN ledger_checkpoint_accounts c ON c.account_id = a.id AND NOT ${from_start}::boolean`;

/**
 * The accounts with postings after their checkpoint, or counters that moved without any, grouped
 * in id order into batches of about `batch_postings_max` new postings.
 */
async function batches(client: Client, from_start: boolean): Promise<{ ids: string[]; postings: number }[]> {
  const listed = await client.query<{ id: string; fresh: string }>(
    `SELECT b.id, b.postings_count - b.seq AS fresh FROM (${baseSql('$1')}) b
     WHERE b.postings_count <> b.seq
        OR (b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits) IS DISTINCT FROM (b.pd, b.pc, b.hd, b.hc)
     ORDER BY b.id`,
    [from_start],
  );
  const result: { ids: string[]; postings: number }[] = [];
  let current = { ids: [] as string[], postings: 0, weight: 0 };
  for (const row of listed.rows) {
    const fresh = Math.max(Number(row.fresh), 0);
    if (current.ids.length > 0 && current.weight + Math.max(fresh, 1) > batch_postings_max) {
      result.push(current);
      current = { ids: [], postings: 0, weight: 0 };
    }
    current.ids.push(row.id);
    current.postings += fresh;
    current.weight += Math.max(fresh, 1);
  }
  if (current.ids.length > 0) result.push(current);
  return result;
}

/**
 * `$1`: the batch's account ids; `$2`: from the start (ignore the checkpoint). Per account, one
 * range scan of the (account_id, account_seq) index from the checkpointed position on, in order,
 * so the window needs no sort, folded into one row of sums and the first broken posting: the cost
 * follows the new postings, not the table. The postings' numbers need no check of their own: the
 * unique index, their count (postings_count - checkpointed seq) and the last one (postings_count)
 * leave no room for a gap.
 */
export const batch_checks = `WITH base AS MATERIALIZED (${baseSql('$2')} WHERE a.id IN (SELECT unnest($1::text[]))),
  checked AS (
    SELECT b.*, s.*, l.id AS last_id, l.posted_after AS last_posted, l.held_after AS last_held,
      l.incoming_after AS last_incoming
    FROM base b
    CROSS JOIN LATERAL (
      SELECT count(*) AS n, max(account_seq) AS last_seq,
        coalesce(sum(amount) FILTER (WHERE layer = 'posted' AND side = 'debit'), 0) AS sum_pd,
        coalesce(sum(amount) FILTER (WHERE layer = 'posted' AND side = 'credit'), 0) AS sum_pc,
        coalesce(sum(d_held), 0) AS sum_hd, coalesce(sum(d_incoming), 0) AS sum_hc,
        (array_agg(id ORDER BY account_seq) FILTER (WHERE broken))[1] AS broken_id,
        (array_agg(format('posting %s of account %s says %s/%s/%s after it, dated up to %s; the posting before it and its amount give %s/%s/%s up to %s (posted/held/incoming)',
          account_seq, account_id, posted_after, held_after, incoming_after, created_at_max, posted_expected, held_expected,
          incoming_expected, created_at_max_expected) ORDER BY account_seq) FILTER (WHERE broken))[1] AS broken_detail
      FROM (
        SELECT x.*, (x.posted_after, x.held_after, x.incoming_after, x.created_at_max)
          IS DISTINCT FROM (x.posted_expected, x.held_expected, x.incoming_expected, x.created_at_max_expected) AS broken
        FROM (
          SELECT p.id, p.account_id, p.account_seq, p.layer, p.side, p.amount, p.posted_after, p.held_after,
            p.incoming_after, p.created_at_max, d.d_held, d.d_incoming,
            coalesce(lag(p.posted_after) OVER w, b.posted) + d.d_posted AS posted_expected,
            coalesce(lag(p.held_after) OVER w, b.held) + d.d_held AS held_expected,
            coalesce(lag(p.incoming_after) OVER w, b.incoming) + d.d_incoming AS incoming_expected,
            greatest(p.created_at, coalesce(lag(p.created_at_max) OVER w, b.created_at_max)) AS created_at_max_expected
          FROM postings p
          CROSS JOIN LATERAL (SELECT
            CASE WHEN p.layer = 'posted' THEN CASE p.side WHEN 'credit' THEN p.amount ELSE -p.amount END ELSE 0 END AS d_posted,
            CASE WHEN p.layer = 'pending' AND p.side = 'debit' THEN CASE WHEN p.release THEN -p.amount ELSE p.amount END ELSE 0 END AS d_held,
            CASE WHEN p.layer = 'pending' AND p.side = 'credit' THEN CASE WHEN p.release THEN -p.amount ELSE p.amount END ELSE 0 END AS d_incoming) d
          WHERE p.account_id = b.id AND p.account_seq > b.seq
          WINDOW w AS (ORDER BY p.account_seq)) x) y) s
    LEFT JOIN postings l ON l.account_id = b.id AND l.account_seq = b.postings_count AND b.postings_count > b.seq)
SELECT 'posting_follows_previous' AS check, broken_id AS subject, broken_detail AS detail FROM checked WHERE broken_id IS NOT NULL
UNION ALL
SELECT 'balance_matches_postings', id,
  format('counters %s/%s/%s/%s over %s postings; checkpoint %s/%s/%s/%s over %s, plus the %s postings after it numbered up to %s, give %s/%s/%s/%s (posted debits/credits, pending debits/credits)',
    posted_debits, posted_credits, pending_debits, pending_credits, postings_count, pd, pc, hd, hc, seq, n,
    coalesce(last_seq, seq), pd + sum_pd, pc + sum_pc, hd + sum_hd, hc + sum_hc)
FROM checked
WHERE (posted_debits, posted_credits, pending_debits, pending_credits, postings_count, postings_count)
  IS DISTINCT FROM (pd + sum_pd, pc + sum_pc, hd + sum_hd, hc + sum_hc, seq + n, coalesce(last_seq, seq))
UNION ALL
SELECT 'last_posting_matches_balance', id,
  format('last posting %s says %s/%s/%s, account has %s/%s/%s (posted/held/incoming)', coalesce(last_id, 'at the checkpoint'),
    coalesce(last_posted, posted), coalesce(last_held, held), coalesce(last_incoming, incoming),
    posted_credits - posted_debits, pending_debits, pending_credits)
FROM checked
WHERE (coalesce(last_posted, posted), coalesce(last_held, held), coalesce(last_incoming, incoming))
  IS DISTINCT FROM (posted_credits - posted_debits, pending_debits, pending_credits)`;
