import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { changedAccounts } from './verify-changed.js';
import { baseSql } from './verify-postings.js';

/**
 * Postings are never updated or deleted, so the ones written since the checkpoint sit, nearly all,
 * at the end of the table's heap. Reading those pages in order (a TID range scan) costs a fraction
 * of fetching each new posting through its account's index, where each lands on a page of its own
 * (docs/decisions.md, "Verify, fourth round"). It is a way to read, never a reason to trust: every
 * check made this way proves it saw every new posting, and the index way answers when it did not.
 */

/**
 * The tail is read only when it is mostly new postings: at least this many a page (a page holds
 * about 55), or when it is at most `tail_pages_always` pages, which cost nothing to read. Beyond
 * that, as after a rewrite of the table scattered them, the index way reads less.
 */
const tail_postings_per_page_min = 10;
const tail_pages_always = 8;

/**
 * How far before the last page of the postings checked last the tail may start: the pages other
 * writers were still filling then. A new posting further back went into room found in an older
 * page; the accounts' indexes find those (verify-tail-entries.ts).
 */
const tail_pages_before_checked = 64;

/**
 * The page to read the new postings from: the first page holding the first new posting of an
 * account, among the pages from shortly before the last page of an account's last checked
 * posting; undefined when there is no new posting, or when they are too scattered for the tail to
 * be worth reading. It counts the new postings itself, so that it can run beside the listing of
 * the accounts to check; with `changed_from` (verify-changed.ts), among the accounts written since.
 */
export async function tailPage(db: Queryable, changed_from?: string): Promise<number | undefined> {
  const accounts = changed_from === undefined ? 'accounts a' : changedAccounts('$2');
  const result = await db.query<{ page: string | null; pages: string; new_postings: string }>(
    `WITH placed AS MATERIALIZED (
       SELECT (SELECT (p.ctid::text::point)[0]::bigint FROM postings p
           WHERE p.account_number = b.number AND p.account_seq = b.seq + 1) AS first_new,
         (SELECT (p.ctid::text::point)[0]::bigint FROM postings p
           WHERE p.account_number = b.number AND p.account_seq = b.seq) AS last_checked,
         b.postings_count - b.seq AS new_postings
       FROM (${baseSql('since', '', 'false', accounts)}) b WHERE b.postings_count > b.seq)
     SELECT min(first_new) FILTER (WHERE first_new >= coalesce((SELECT max(last_checked) FROM placed) - $1, 0)) AS page,
       pg_relation_size('postings') / current_setting('block_size')::bigint AS pages,
       coalesce(sum(new_postings), 0) AS new_postings
     FROM placed`,
    changed_from === undefined ? [tail_pages_before_checked] : [tail_pages_before_checked, changed_from],
  );
  const row = result.rows[0];
  assert(row !== undefined, 'an aggregate returns a row');
  if (row.page === null) return undefined;
  const page = Number(row.page);
  const pages_max = Math.max(
    tail_pages_always,
    Math.ceil(Number(row.new_postings) / tail_postings_per_page_min),
  );
  return Number(row.pages) - page > pages_max ? undefined : page;
}

/** The TID a range scan from `page` starts at, as a query parameter. */
export function tailStart(page: number): string {
  assert(Number.isSafeInteger(page) && page >= 0, 'a page number');
  return `(${page},0)`;
}
