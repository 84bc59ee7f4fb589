import type { Queryable } from '../db/pool.js';
import { postingId } from './posting-ids.js';
import type { Violation } from './verify.js';
import { changedAccounts, idIn } from './verify-changed.js';

/**
 * The posting-level invariants, each written once, over either of two scopes:
 * - `all`: every posting of the mode (`$1`, NULL for both) from zero, in one statement:
 *   `verifyLedger`. For the entries, `purse verify --full` too: one scan of the table beats a range
 *   scan per account (9 s against 27 s over 3.6 million postings).
 * - `since`: each account's postings after its checkpointed state (ledger_checkpoint_accounts), or
 *   after zero when `$2` (from the start) is true: `purse verify`, one index range scan per account
 *   of a batch (account ids `$1`) from its checkpointed position, so the cost follows the new
 *   postings, not the table. `--full` takes this way for the accounts: over 882,400 postings the
 *   one statement of `all` took 8.9 to 10 s against 6.6 to 8.3 s in batches, its sort of every
 *   posting by account (a collation's text comparisons) the larger part (docs/decisions.md).
 * An account's postings are numbered under its row lock in the transaction that updates its
 * counters, so a REPEATABLE READ snapshot holds exactly postings 1..postings_count of each account:
 * a transaction that commits later has numbers above them, checked by the next run.
 */
export type Scope = 'all' | 'since';

/**
 * Each account of the scope with its state before the postings checked (zero, or the
 * checkpoint's): in `since`, those of `accounts` (as `a`) that `where` keeps (a clause on `a`;
 * empty for every one).
 */
export function baseSql(scope: Scope, where: string, from_start = '$2', accounts = 'accounts a'): string {
  if (scope === 'all')
    return `SELECT a.id, a.number, a.posted_debits, a.posted_credits, a.pending_debits, a.pending_credits, a.postings_count,
        0::bigint AS seq, 0::numeric AS posted, 0::numeric AS held, 0::numeric AS incoming,
        NULL::timestamptz AS created_at_max, 0::numeric AS pd, 0::numeric AS pc, 0::numeric AS hd, 0::numeric AS hc
      FROM accounts a WHERE ($1::boolean IS NULL OR a.livemode = $1::boolean)`;
  return `SELECT a.id, a.number, a.posted_debits, a.posted_credits, a.pending_debits, a.pending_credits, a.postings_count,
      coalesce(c.account_seq, 0) AS seq, coalesce(c.posted_after, 0) AS posted, coalesce(c.held_after, 0) AS held,
      coalesce(c.incoming_after, 0) AS incoming, c.created_at_max,
      coalesce(c.posted_debits, 0) AS pd, coalesce(c.posted_credits, 0) AS pc,
      coalesce(c.pending_debits, 0) AS hd, coalesce(c.pending_credits, 0) AS hc
    FROM ${accounts} LEFT JOIN ledger_checkpoint_accounts c ON c.account_id = a.id AND NOT ${from_start}::boolean
    ${where}`;
}

/**
 * The postings `p` after each base account `b`'s checkpointed state. OFFSET 0 keeps the subquery a
 * per-account index range scan: flattened into a join, the planner hashes the whole postings
 * table, and the run grows with the ledger.
 */
export const postings_since = `CROSS JOIN LATERAL (SELECT * FROM postings p WHERE p.account_number = b.number AND p.account_seq > b.seq OFFSET 0) p`;

/** SQL expressions of a posting's state before it: the previous posting's, or the base's. */
interface Before {
  readonly posted: string;
  readonly held: string;
  readonly incoming: string;
  readonly created_at_max: string;
}

/** A pending posting's amount as it moves its balance: a release takes it back. */
const pending_amount = 'CASE WHEN p.release THEN -p.amount ELSE p.amount END';

/**
 * Which postings `p` move each balance, and by how much: a posted posting the posted balance (up
 * for a credit, down for a debit), a pending debit the held balance and a pending credit the
 * incoming one. The account checks and the account's sums read them from here.
 */
const moves = {
  posted: { when: "p.layer = 'posted'", by: "CASE WHEN p.side = 'credit' THEN p.amount ELSE -p.amount END" },
  held: { when: "p.layer = 'pending' AND p.side = 'debit'", by: pending_amount },
  incoming: { when: "p.layer = 'pending' AND p.side = 'credit'", by: pending_amount },
} as const;

/**
 * What a posting `p`'s balances and created_at_max must be after it, from those before it: one
 * addition a posting, to the balance it moves, not one to each of the three with zero for two.
 */
function after(before: Before): Before {
  const moved = (balance: string, move: { when: string; by: string }) =>
    `CASE WHEN ${move.when} THEN ${balance} + ${move.by} ELSE ${balance} END`;
  return {
    posted: moved(before.posted, moves.posted),
    held: moved(before.held, moves.held),
    incoming: moved(before.incoming, moves.incoming),
    created_at_max: `greatest(p.created_at, ${before.created_at_max})`,
  };
}

/**
 * `posting_follows_previous`: each posting's balances after it are the previous posting's (on the
 * same account, by account_seq; the base state for the first) plus its own amount, and its
 * created_at_max the later of its created_at and the previous one's (migration 0035); the first
 * broken posting of each account is named. `balance_matches_postings`: the account's counters are
 * the base's plus the sums of the postings, which are numbered base seq + 1 up to postings_count.
 * The numbers need no check of their own: the unique index, their count and the last one leave no
 * room for a gap.
 *
 * Each account's postings are read from its index range in order, and the window and the sums run
 * inside that account's lateral subquery: no sort, where a window over the whole batch sorted every
 * posting again by account. The four previous values are read once each (lag, with the base as
 * the default) and a posting is judged in the window's own row; the expected values are formed
 * again only to name a broken posting. Over 100,000 postings of one account, 226 against 291 ms
 * of CPU (docs/decisions.md, "Verify, seventh round").
 *
 * In `since`, each account with new postings also names those that lie before the heap's tail
 * (`$3`, a TID; '(0,0)' for none), as a row `strays` with their numbers: the tail's entry check
 * needs them (verify-tail-entries.ts), and here they cost a TID comparison a posting, not a second
 * pass over the tail.
 */
export function accountChecksSql(scope: Scope): string {
  const previous: Before = {
    posted: 'lag(p.posted_after, 1, b.posted) OVER w',
    held: 'lag(p.held_after, 1, b.held) OVER w',
    incoming: 'lag(p.incoming_after, 1, b.incoming) OVER w',
    created_at_max: 'lag(p.created_at_max, 1, b.created_at_max) OVER w',
  };
  const lagged = after(previous);
  const expected = after({
    posted: 'p.posted_before',
    held: 'p.held_before',
    incoming: 'p.incoming_before',
    created_at_max: 'p.created_at_max_before',
  });
  return `WITH base AS MATERIALIZED (${baseSql(scope, `WHERE ${idIn('$1')}`)}),
  checked AS MATERIALIZED (
    SELECT b.number, s.* FROM base b CROSS JOIN LATERAL (
      SELECT count(*) AS n, max(p.account_seq) AS last_seq,
        min(p.account_seq) FILTER (WHERE p.broken) AS broken_seq,
        -- A FILTER is applied before the aggregate's arguments are computed: only broken postings are formatted.
        (array_agg(format('posting %s of account %s says %s/%s/%s after it, dated up to %s; the posting before it and its amount give %s/%s/%s up to %s (posted/held/incoming)',
          p.account_seq, b.id, p.posted_after, p.held_after, p.incoming_after, p.created_at_max, ${expected.posted},
          ${expected.held}, ${expected.incoming}, ${expected.created_at_max}) ORDER BY p.account_seq) FILTER (WHERE p.broken))[1] AS broken_detail,
        ${scope === 'since' ? 'array_agg(p.account_seq) FILTER (WHERE p.ctid < $3::tid AND b.postings_count > b.seq) AS strays,' : ''}
        coalesce(sum(p.amount) FILTER (WHERE ${moves.posted.when} AND p.side = 'debit'), 0) AS sum_pd,
        coalesce(sum(p.amount) FILTER (WHERE ${moves.posted.when} AND p.side = 'credit'), 0) AS sum_pc,
        coalesce(sum(${moves.held.by}) FILTER (WHERE ${moves.held.when}), 0) AS sum_hd,
        coalesce(sum(${moves.incoming.by}) FILTER (WHERE ${moves.incoming.when}), 0) AS sum_hc
      FROM (SELECT p.account_seq, p.layer, p.side, p.release, p.amount, p.posted_after, p.held_after,
          p.incoming_after, p.created_at, p.created_at_max, p.ctid,
          -- The same calls as in \`broken\`: the window computes each once.
          ${previous.posted} AS posted_before, ${previous.held} AS held_before,
          ${previous.incoming} AS incoming_before, ${previous.created_at_max} AS created_at_max_before,
          (p.posted_after, p.held_after, p.incoming_after, p.created_at_max)
            IS DISTINCT FROM (${lagged.posted}, ${lagged.held}, ${lagged.incoming}, ${lagged.created_at_max}) AS broken
        FROM postings p
        WHERE p.account_number = b.number AND p.account_seq > b.seq
        WINDOW w AS (ORDER BY p.account_seq)) p) s)
SELECT 'posting_follows_previous' AS check, b.id AS account_id, c.broken_seq::text AS account_seq, c.broken_detail AS detail
FROM base b JOIN checked c ON c.number = b.number WHERE c.broken_seq IS NOT NULL
UNION ALL
SELECT 'balance_matches_postings', b.id, NULL,
  format('counters %s/%s/%s/%s over %s postings; the state at posting %s (%s/%s/%s/%s) plus the %s postings after it, numbered up to %s, give %s/%s/%s/%s (posted debits/credits, pending debits/credits)',
    b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits, b.postings_count, b.seq, b.pd, b.pc, b.hd, b.hc,
    s.n, coalesce(s.last_seq, b.seq), b.pd + s.sum_pd, b.pc + s.sum_pc, b.hd + s.sum_hd, b.hc + s.sum_hc)
FROM base b JOIN checked s ON s.number = b.number
WHERE (b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits, b.postings_count, b.postings_count)
  IS DISTINCT FROM (b.pd + s.sum_pd, b.pc + s.sum_pc, b.hd + s.sum_hd, b.hc + s.sum_hc, b.seq + s.n, coalesce(s.last_seq, b.seq))${
    scope === 'since'
      ? `
UNION ALL
SELECT 'strays', b.number::text, NULL, s.strays::text FROM base b JOIN checked s ON s.number = b.number WHERE s.strays IS NOT NULL`
      : ''
  }`;
}

/**
 * A row of accountChecksSql: a posting's violation names it, an account's has no account_seq; a
 * `strays` row holds an account's number and, as an array's text, its postings before the tail.
 */
interface AccountCheckRow {
  check: 'posting_follows_previous' | 'balance_matches_postings' | 'strays';
  account_id: string;
  account_seq: string | null;
  detail: string;
}

function accountViolations(rows: readonly AccountCheckRow[]): Violation[] {
  return rows.flatMap((row) =>
    row.check === 'strays'
      ? []
      : [
          {
            check: row.check,
            subject: row.account_seq === null ? row.account_id : postingId(row.account_id, row.account_seq),
            detail: row.detail,
          },
        ],
  );
}

/** New postings before the heap's tail, by their keys: account numbers and seqs, pair by pair. */
export interface Strays {
  readonly numbers: string[];
  readonly seqs: string[];
}

export function noStrays(): Strays {
  return { numbers: [], seqs: [] };
}

/** Adds `more` to `into`: the strays of every batch, gathered as the batches finish. */
export function addStrays(into: Strays, more: Strays): void {
  into.numbers.push(...more.numbers);
  into.seqs.push(...more.seqs);
}

function strays(rows: readonly AccountCheckRow[]): Strays {
  const found = noStrays();
  for (const row of rows) {
    if (row.check !== 'strays') continue;
    // The text of a bigint[]: '{1,2,3}'.
    for (const seq of row.detail.slice(1, -1).split(',')) {
      found.numbers.push(row.account_id);
      found.seqs.push(seq);
    }
  }
  return found;
}

/** The account checks of every account of `mode` (null: both), over all their postings. */
export async function checkAllAccounts(db: Queryable, mode: boolean | null): Promise<Violation[]> {
  return accountViolations((await db.query<AccountCheckRow>(accountChecksSql('all'), [mode])).rows);
}

/** New postings a batch of accounts covers at most (an account with more is a batch alone). */
const batch_postings_max = 25_000;

/** Accounts whose new postings are checked together: at most about `batch_postings_max` of them. */
export interface AccountBatch {
  readonly ids: string[];
  readonly postings: number;
}

/**
 * The account checks of one batch's postings after the checkpoint (all of them with `from_start`),
 * inside the caller's REPEATABLE READ transaction, and the new postings of its accounts that lie
 * before the tail (`tail_start`, a TID from tailStart; none without one).
 */
export async function checkAccountBatch(
  db: Queryable,
  batch: AccountBatch,
  from_start: boolean,
  tail_start = '(0,0)',
): Promise<{ violations: Violation[]; strays: Strays }> {
  const rows = (
    await db.query<AccountCheckRow>(accountChecksSql('since'), [batch.ids, from_start, tail_start])
  ).rows;
  return { violations: accountViolations(rows), strays: strays(rows) };
}

/** What a run reads of the accounts: batches of those that moved, and which may have changed. */
export interface AccountsToCheck {
  readonly batches: AccountBatch[];
  /**
   * The ids of every account written since the checkpoint, moved or not (its floor, its status),
   * for the checks that read accounts alone; null for every account.
   */
  readonly changed: string[] | null;
}

/**
 * The accounts with postings after their checkpoint, or counters that moved without any, grouped
 * in id order into batches of about `batch_postings_max` new postings. With `changed_from` (an
 * xmin from changedFrom), only the accounts written since the checkpoint are read at all.
 */
export async function accountBatches(
  db: Queryable,
  from_start: boolean,
  changed_from?: string,
): Promise<AccountsToCheck> {
  const moved = `b.postings_count <> b.seq
    OR (b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits) IS DISTINCT FROM (b.pd, b.pc, b.hd, b.hc)`;
  const listed = await db.query<{ id: string; fresh: string; moved: boolean }>(
    changed_from === undefined
      ? `SELECT b.id, b.postings_count - b.seq AS fresh, true AS moved FROM (${baseSql('since', '', '$1')}) b
         WHERE ${moved} ORDER BY b.id`
      : `SELECT b.id, b.postings_count - b.seq AS fresh, ${moved} AS moved
         FROM (${baseSql('since', '', '$1', changedAccounts('$2'))}) b ORDER BY b.id`,
    changed_from === undefined ? [from_start] : [from_start, changed_from],
  );
  return {
    batches: batched(listed.rows.filter((row) => row.moved)),
    changed: changed_from === undefined ? null : listed.rows.map((row) => row.id),
  };
}

function batched(rows: readonly { id: string; fresh: string }[]): AccountBatch[] {
  const result: AccountBatch[] = [];
  let current = { ids: [] as string[], postings: 0, weight: 0 };
  for (const row of rows) {
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
