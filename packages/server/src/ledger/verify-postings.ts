import type { Client } from '../db/pool.js';
import type { Violation } from './verify.js';

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
  const result = await client.query<Violation>(
    `SELECT 'transaction_balances' AS check, p.transaction_id AS subject,
       format('%s %s: debits exceed credits by %s over %s postings', p.asset, p.layer,
         sum(CASE WHEN (p.side = 'debit') <> p.release THEN p.amount ELSE -p.amount END), count(*)) AS detail
     FROM (${baseSql('$1')}) b
     CROSS JOIN LATERAL (SELECT * FROM postings p WHERE p.account_id = b.id AND p.account_seq > b.seq) p
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
 * `$1`: the batch's account ids; `$2`: from the start (ignore the checkpoint). One pass over the new
 * postings, read per account through the (account_id, account_seq) index from the checkpointed
 * position on, so the cost follows the new postings, not the table.
 */
export const batch_checks = `WITH base AS MATERIALIZED (${baseSql('$2')} WHERE a.id IN (SELECT unnest($1::text[]))),
  steps AS MATERIALIZED (
    SELECT p.id, p.account_id, p.account_seq, p.layer, p.side, p.release, p.amount,
      p.posted_after, p.held_after, p.incoming_after, p.created_at_max,
      coalesce(lag(p.account_seq) OVER w, b.seq) + 1 AS seq_expected,
      coalesce(lag(p.posted_after) OVER w, b.posted)
        + CASE WHEN p.layer = 'posted' THEN CASE p.side WHEN 'credit' THEN p.amount ELSE -p.amount END ELSE 0 END AS posted_expected,
      coalesce(lag(p.held_after) OVER w, b.held)
        + CASE WHEN p.layer = 'pending' AND p.side = 'debit' THEN CASE WHEN p.release THEN -p.amount ELSE p.amount END ELSE 0 END AS held_expected,
      coalesce(lag(p.incoming_after) OVER w, b.incoming)
        + CASE WHEN p.layer = 'pending' AND p.side = 'credit' THEN CASE WHEN p.release THEN -p.amount ELSE p.amount END ELSE 0 END AS incoming_expected,
      greatest(p.created_at, coalesce(lag(p.created_at_max) OVER w, b.created_at_max)) AS created_at_max_expected,
      lead(p.account_seq) OVER w IS NULL AS is_last
    FROM base b CROSS JOIN LATERAL (
      SELECT * FROM postings p WHERE p.account_id = b.id AND p.account_seq > b.seq ORDER BY p.account_seq) p
    WINDOW w AS (PARTITION BY p.account_id ORDER BY p.account_seq)),
  chains AS (
    SELECT DISTINCT ON (account_id) 'posting_follows_previous' AS check, id AS subject,
      format('posting %s of account %s says %s/%s/%s after it, dated up to %s; the posting before it and its amount give %s: %s/%s/%s up to %s (posted/held/incoming)',
        account_seq, account_id, posted_after, held_after, incoming_after, created_at_max, seq_expected, posted_expected,
        held_expected, incoming_expected, created_at_max_expected) AS detail
    FROM steps
    WHERE (account_seq, posted_after, held_after, incoming_after, created_at_max)
      IS DISTINCT FROM (seq_expected, posted_expected, held_expected, incoming_expected, created_at_max_expected)
    ORDER BY account_id, account_seq),
  sums AS (
    SELECT account_id,
      coalesce(sum(amount) FILTER (WHERE layer = 'posted' AND side = 'debit'), 0) AS pd,
      coalesce(sum(amount) FILTER (WHERE layer = 'posted' AND side = 'credit'), 0) AS pc,
      coalesce(sum(CASE WHEN release THEN -amount ELSE amount END) FILTER (WHERE layer = 'pending' AND side = 'debit'), 0) AS hd,
      coalesce(sum(CASE WHEN release THEN -amount ELSE amount END) FILTER (WHERE layer = 'pending' AND side = 'credit'), 0) AS hc,
      count(*) AS n, max(account_seq) AS last_seq
    FROM steps GROUP BY account_id),
  counters AS (
    SELECT 'balance_matches_postings' AS check, b.id AS subject,
      format('counters %s/%s/%s/%s over %s postings; checkpoint %s/%s/%s/%s over %s, plus the %s postings after it numbered up to %s, give %s/%s/%s/%s (posted debits/credits, pending debits/credits)',
        b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits, b.postings_count,
        b.pd, b.pc, b.hd, b.hc, b.seq, coalesce(s.n, 0), coalesce(s.last_seq, b.seq),
        b.pd + coalesce(s.pd, 0), b.pc + coalesce(s.pc, 0), b.hd + coalesce(s.hd, 0), b.hc + coalesce(s.hc, 0)) AS detail
    FROM base b LEFT JOIN sums s ON s.account_id = b.id
    WHERE (b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits, b.postings_count, b.postings_count)
      IS DISTINCT FROM (b.pd + coalesce(s.pd, 0), b.pc + coalesce(s.pc, 0), b.hd + coalesce(s.hd, 0),
        b.hc + coalesce(s.hc, 0), b.seq + coalesce(s.n, 0), coalesce(s.last_seq, b.seq))),
  last_postings AS (
    SELECT 'last_posting_matches_balance' AS check, b.id AS subject,
      format('last posting %s says %s/%s/%s, account has %s/%s/%s (posted/held/incoming)', coalesce(l.id, 'at the checkpoint'),
        coalesce(l.posted_after, b.posted), coalesce(l.held_after, b.held), coalesce(l.incoming_after, b.incoming),
        b.posted_credits - b.posted_debits, b.pending_debits, b.pending_credits) AS detail
    FROM base b LEFT JOIN steps l ON l.account_id = b.id AND l.is_last
    WHERE (coalesce(l.posted_after, b.posted), coalesce(l.held_after, b.held), coalesce(l.incoming_after, b.incoming))
      IS DISTINCT FROM (b.posted_credits - b.posted_debits, b.pending_debits, b.pending_credits))
SELECT * FROM chains UNION ALL SELECT * FROM counters UNION ALL SELECT * FROM last_postings`;
