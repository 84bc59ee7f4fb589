import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import type { Violation } from './verify.js';
import { checkEntries, entryDetail, net, unbalanced } from './verify-entries.js';
import { baseSql } from './verify-postings.js';
import { tailStart } from './verify-tail.js';

/**
 * Each account with new postings (`number`), checkpointed at `seq`, and its highest number
 * (`last_seq`, one index probe per account): it has at most `last_seq - seq` new postings.
 */
const fresh_sql = `fresh AS MATERIALIZED (
    SELECT b.number, b.seq, (SELECT max(q.account_seq) FROM postings q WHERE q.account_number = b.number) AS last_seq
    FROM (${baseSql('since', 'every', 'false')}) b WHERE b.postings_count > b.seq)`;

/**
 * The new postings `p` in the pages from `$1` on. They join the accounts' subquery, not `fresh`:
 * with a CTE's unknown statistics the planner stopped reading the tail and fetched each account's
 * postings through its index (with text account ids it sorted the tail to merge: 0.8 s, not 0.4;
 * with their numbers, 0.40 s against 0.29 over 300,000 postings).
 */
const tail_postings = `postings p JOIN (SELECT b.number, b.seq FROM (${baseSql('since', 'every', 'false')}) b
      WHERE b.postings_count > b.seq OFFSET 0) b ON b.number = p.account_number
    WHERE p.ctid >= $1::tid AND p.account_seq > b.seq`;

/**
 * The new entries' checks over the pages from `$1` on, as rows of two kinds:
 * - `transaction_balances`: an entry, asset and layer whose postings in these pages do not
 *   balance, with their sum (`total`) and count (`n`);
 * - `read`: how many new postings these pages held (`n`) and how many the accounts' indexes allow
 *   at most (`bound`: each account's highest number less its checkpointed one; never below zero,
 *   or an account missing postings would make room for another's).
 * When `n` is `bound`, every account's new postings are all in these pages: none can have read
 * more than its own share. Only otherwise are the accounts counted one by one (short_sql), which
 * the run after a vacuum needs, not every run: counted here, they cost 13% of this statement.
 */
const tail_entries_sql = `WITH ${fresh_sql},
  tail AS MATERIALIZED (
    SELECT grouping(p.transaction_id) AS grouped, p.transaction_id, p.asset, p.layer, sum(${net}) AS total, count(*) AS n
    FROM ${tail_postings}
    GROUP BY GROUPING SETS ((p.transaction_id, p.asset, p.layer), ())
    HAVING grouping(p.transaction_id) = 1 OR ${unbalanced})
  SELECT 'transaction_balances' AS check, transaction_id AS subject, ${entryDetail('asset', 'layer', 'total', 'n')} AS detail,
    asset, layer, total::text, n::text, NULL::text AS bound
  FROM tail WHERE grouped = 0
  UNION ALL
  SELECT 'read', NULL, NULL, NULL, NULL, NULL, coalesce((SELECT n FROM tail WHERE grouped = 1), 0)::text,
    (SELECT coalesce(sum(greatest(coalesce(last_seq, 0) - seq, 0)), 0) FROM fresh)::text`;

/**
 * The accounts (`number`, checkpointed at `seq`) with fewer new postings in the pages from `$1` on
 * than their highest number allows: the rest lie in earlier pages.
 */
const short_sql = `WITH ${fresh_sql},
  tail AS (SELECT p.account_number, count(*) AS n FROM ${tail_postings} GROUP BY p.account_number)
  SELECT f.number::text AS number, f.seq::text AS seq
  FROM fresh f LEFT JOIN tail t ON t.account_number = f.number
  WHERE coalesce(t.n, 0) < coalesce(f.last_seq, 0) - f.seq`;

interface TailRow {
  check: 'transaction_balances' | 'read';
  subject: string | null;
  detail: string | null;
  asset: string | null;
  layer: string | null;
  total: string | null;
  n: string | null;
  bound: string | null;
}

/**
 * The new postings before the tail (`$3`) of the short accounts (`$1` numbers, `$2` checkpointed
 * seqs), each read through its account's index, with the tail's unbalanced parts (`$4`..`$8`:
 * entry, asset and layer, sum, count). Every entry with a posting before the tail has its parts
 * from both added up; one with postings in the tail alone keeps the tail's verdict. An entry whose
 * part in the tail balanced is judged by its earlier part alone, which is the same verdict: that
 * part adds nothing to a balanced sum, and a single posting (never zero) cannot balance. The last
 * row (`read`) counts the postings read.
 */
const before_tail_sql = `WITH before AS MATERIALIZED (
    SELECT p.transaction_id, p.asset, p.layer, ${net} AS total
    FROM unnest($1::bigint[], $2::bigint[]) AS s(number, seq)
    CROSS JOIN LATERAL (SELECT * FROM postings p
      WHERE p.account_number = s.number AND p.account_seq > s.seq AND p.ctid < $3::tid OFFSET 0) p),
  parts AS (
    SELECT transaction_id, asset, layer, total, 1::bigint AS n FROM before
    UNION ALL
    SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::numeric[], $8::bigint[]))
  SELECT 'transaction_balances' AS check, transaction_id AS subject,
    ${entryDetail('asset', 'layer', 'sum(total)', 'sum(n)')} AS detail, NULL::text AS read
  FROM parts GROUP BY transaction_id, asset, layer HAVING sum(total) <> 0 OR sum(n) < 2
  UNION ALL
  SELECT 'read', NULL, NULL, (SELECT count(*) FROM before)::text`;

/**
 * The new entries' checks from the heap's tail (pages from `page` on). A posting can also land in
 * an earlier page with room left in it (after a vacuum found the room, or a rolled back insert
 * made it): the accounts short of postings in the tail have those read through their indexes, and
 * the entries they belong to added up with their parts in the tail: never more than the index way
 * would read for all of them. Exact when the postings read make up `bound`; undefined otherwise.
 */
export async function entriesFromTail(db: Queryable, page: number): Promise<Violation[] | undefined> {
  const rows = (await db.query<TailRow>(tail_entries_sql, [tailStart(page)])).rows;
  const read = rows.find((row) => row.check === 'read');
  assert(read !== undefined, 'the count row is always returned');
  const found = BigInt(read.n ?? '0');
  const bound = BigInt(read.bound ?? '0');
  const unbalanced_parts = rows.filter((row) => row.check === 'transaction_balances');
  if (found === bound) return unbalanced_parts.map(violation);
  const missing = bound - found;
  if (missing < 0n) return undefined;
  const before = await entriesBeforeTail(db, page, unbalanced_parts);
  return before.read === missing ? before.violations : undefined;
}

/**
 * The short accounts' new postings before the tail (`page`), with the tail's unbalanced parts:
 * the entries' verdicts, and how many postings were read.
 */
async function entriesBeforeTail(
  db: Queryable,
  page: number,
  unbalanced_parts: readonly TailRow[],
): Promise<{ violations: Violation[]; read: bigint }> {
  const short = (await db.query<{ number: string; seq: string }>(short_sql, [tailStart(page)])).rows;
  const parts = (['subject', 'asset', 'layer', 'total', 'n'] as const).map((column) =>
    unbalanced_parts.map((row) => row[column]),
  );
  const result = await db.query<{
    check: 'transaction_balances' | 'read';
    subject: string;
    detail: string;
    read: string;
  }>(before_tail_sql, [
    short.map((row) => row.number),
    short.map((row) => row.seq),
    tailStart(page),
    ...parts,
  ]);
  const read = result.rows.find((row) => row.check === 'read');
  assert(read !== undefined, 'the count row is always returned');
  return {
    violations: result.rows.filter((row) => row.check === 'transaction_balances').map(violation),
    read: BigInt(read.read),
  };
}

function violation(row: { subject: string | null; detail: string | null }): Violation {
  return { check: 'transaction_balances', subject: row.subject ?? '', detail: row.detail ?? '' };
}

/**
 * checkEntries('since'), from the heap's tail when `page` is given (verify-tail.ts) and the
 * postings it read were every new one; otherwise the index way answers.
 */
export async function checkNewEntries(db: Queryable, page: number | undefined): Promise<Violation[]> {
  const from_tail = page === undefined ? undefined : await entriesFromTail(db, page);
  return from_tail ?? checkEntries(db, 'since', null);
}
