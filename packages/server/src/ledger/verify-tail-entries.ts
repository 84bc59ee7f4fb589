import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import type { Violation } from './verify.js';
import { idIn } from './verify-changed.js';
import { checkEntries, entryDetail, net, unbalanced } from './verify-entries.js';
import { baseSql, type Strays } from './verify-postings.js';
import { tailStart } from './verify-tail.js';

/**
 * Each account with new postings (`number`), checkpointed at `seq`, and its highest number
 * (`last_seq`, one index probe per account): it has at most `last_seq - seq` new postings.
 */
const freshSql = (where: string) => `fresh AS MATERIALIZED (
    SELECT b.number, b.seq, (SELECT max(q.account_seq) FROM postings q WHERE q.account_number = b.number) AS last_seq
    FROM (${baseSql('since', where, 'false')}) b WHERE b.postings_count > b.seq)`;

/**
 * The new postings `p` in the pages from `$1` on. They join the accounts' subquery, not `fresh`:
 * with a CTE's unknown statistics the planner stopped reading the tail and fetched each account's
 * postings through its index (with text account ids it sorted the tail to merge: 0.8 s, not 0.4;
 * with their numbers, 0.40 s against 0.29 over 300,000 postings).
 */
const tailPostings = (
  where: string,
) => `postings p JOIN (SELECT b.number, b.seq FROM (${baseSql('since', where, 'false')}) b
      WHERE b.postings_count > b.seq OFFSET 0) b ON b.number = p.account_number
    WHERE p.ctid >= $1::tid AND p.account_seq > b.seq`;

/**
 * The new entries' checks over the pages from `$1` on, as rows of two kinds:
 * - `transaction_balances`: an entry, asset and layer whose postings in these pages do not
 *   balance, with their sum (`total`) and count (`n`);
 * - `read`: how many new postings these pages held (`n`) and how many the accounts' indexes allow
 *   at most (`bound`: each account's highest number less its checkpointed one; never below zero,
 *   or an account missing postings would make room for another's).
 * No account can have more new postings than its own numbers allow, so when the postings read
 * here and those the account checks found before these pages make up `bound`, every account's
 * new postings were read, each once.
 */
const tailEntriesSql = (where: string) => `WITH ${freshSql(where)},
  tail AS MATERIALIZED (
    SELECT grouping(p.transaction_id) AS grouped, p.transaction_id, p.asset, p.layer, sum(${net}) AS total, count(*) AS n
    FROM ${tailPostings(where)}
    GROUP BY GROUPING SETS ((p.transaction_id, p.asset, p.layer), ())
    HAVING grouping(p.transaction_id) = 1 OR ${unbalanced})
  SELECT 'transaction_balances' AS check, transaction_id AS subject, ${entryDetail('asset', 'layer', 'total', 'n')} AS detail,
    asset, layer, total::text, n::text, NULL::text AS bound
  FROM tail WHERE grouped = 0
  UNION ALL
  SELECT 'read', NULL, NULL, NULL, NULL, NULL, coalesce((SELECT n FROM tail WHERE grouped = 1), 0)::text,
    (SELECT coalesce(sum(greatest(coalesce(last_seq, 0) - seq, 0)), 0) FROM fresh)::text`;

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
 * The new postings before the tail (`$1` account numbers and `$2` seqs, pair by pair), each read
 * through the primary key, with the tail's unbalanced parts (`$3`..`$7`: entry, asset and layer,
 * sum, count). Every entry with a posting before the tail has its parts from both added up; one
 * with postings in the tail alone keeps the tail's verdict. An entry whose part in the tail
 * balanced is judged by its earlier part alone, which is the same verdict: that part adds nothing
 * to a balanced sum, and a single posting (never zero) cannot balance. The last row (`read`)
 * counts the postings found.
 */
const before_tail_sql = `WITH before AS MATERIALIZED (
    SELECT p.transaction_id, p.asset, p.layer, ${net} AS total
    FROM unnest($1::bigint[], $2::bigint[]) AS s(number, seq)
    CROSS JOIN LATERAL (SELECT * FROM postings p
      WHERE p.account_number = s.number AND p.account_seq = s.seq OFFSET 0) p),
  parts AS (
    SELECT transaction_id, asset, layer, total, 1::bigint AS n FROM before
    UNION ALL
    SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::numeric[], $7::bigint[]))
  SELECT 'transaction_balances' AS check, transaction_id AS subject,
    ${entryDetail('asset', 'layer', 'sum(total)', 'sum(n)')} AS detail, NULL::text AS read
  FROM parts GROUP BY transaction_id, asset, layer HAVING sum(total) <> 0 OR sum(n) < 2
  UNION ALL
  SELECT 'read', NULL, NULL, (SELECT count(*) FROM before)::text`;

/** What the heap's tail held: its entries' unbalanced parts, and how many new postings lie before it. */
export interface TailReading {
  readonly unbalanced_parts: readonly TailRow[];
  /** The accounts' bound less the new postings read in the tail; below zero, the numbers lie. */
  readonly missing: bigint;
  /** The accounts read (their ids; null for every account), for the index way when it answers. */
  readonly changed: readonly string[] | null;
}

/**
 * The new entries' checks over the heap's tail (pages from `page` on). A posting can also land in
 * an earlier page with room left in it (after a vacuum found the room, or a rolled back insert
 * made it): the account checks name those (`strays`, checkAccountBatch), and entriesWithStrays
 * adds them up with the tail's parts.
 */
export async function readTail(
  db: Queryable,
  page: number,
  changed: readonly string[] | null,
): Promise<TailReading> {
  const [where, params] =
    changed === null ? ['', [tailStart(page)]] : [`WHERE ${idIn('$2')}`, [tailStart(page), changed]];
  const rows = (await db.query<TailRow>(tailEntriesSql(where), params)).rows;
  const read = rows.find((row) => row.check === 'read');
  assert(read !== undefined, 'the count row is always returned');
  return {
    unbalanced_parts: rows.filter((row) => row.check === 'transaction_balances'),
    missing: BigInt(read.bound ?? '0') - BigInt(read.n ?? '0'),
    changed,
  };
}

/**
 * The new entries' verdicts from the tail's reading and the new postings before the tail: exact
 * when those are as many as the tail missed; undefined otherwise (never more work than the index
 * way would do for all of them).
 */
export async function entriesWithStrays(
  db: Queryable,
  reading: TailReading,
  strays: Strays,
): Promise<Violation[] | undefined> {
  if (BigInt(strays.seqs.length) !== reading.missing) return undefined;
  if (reading.missing === 0n) return reading.unbalanced_parts.map(violation);
  const parts = (['subject', 'asset', 'layer', 'total', 'n'] as const).map((column) =>
    reading.unbalanced_parts.map((row) => row[column]),
  );
  const result = await db.query<{
    check: 'transaction_balances' | 'read';
    subject: string;
    detail: string;
    read: string;
  }>(before_tail_sql, [strays.numbers, strays.seqs, ...parts]);
  const read = result.rows.find((row) => row.check === 'read');
  assert(read !== undefined, 'the count row is always returned');
  if (BigInt(read.read) !== reading.missing) return undefined;
  return result.rows.filter((row) => row.check === 'transaction_balances').map(violation);
}

function violation(row: { subject: string | null; detail: string | null }): Violation {
  return { check: 'transaction_balances', subject: row.subject ?? '', detail: row.detail ?? '' };
}

/**
 * checkEntries('since'), from the heap's tail (verify-tail.ts) when its reading and the strays
 * account for every new posting; otherwise the index way answers.
 */
export async function checkNewEntries(
  db: Queryable,
  reading: TailReading,
  strays: Strays,
): Promise<Violation[]> {
  return (await entriesWithStrays(db, reading, strays)) ?? checkEntries(db, 'since', null, reading.changed);
}
