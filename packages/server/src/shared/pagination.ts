import type { Queryable } from '../db/pool.js';
import { domainError } from './errors.js';
import { fail, ok, type Result } from './result.js';

export interface PageQuery {
  readonly limit: number;
  readonly starting_after?: string;
  readonly ending_before?: string;
}

/** The paging part of a list endpoint's query string (which may also carry filters). */
export function pageQuery(query: {
  limit: number;
  starting_after?: string | undefined;
  ending_before?: string | undefined;
}): PageQuery {
  return {
    limit: query.limit,
    ...(query.starting_after === undefined ? {} : { starting_after: query.starting_after }),
    ...(query.ending_before === undefined ? {} : { ending_before: query.ending_before }),
  };
}

export interface Page<T> {
  readonly object: 'list';
  readonly data: T[];
  readonly has_more: boolean;
}

export interface PageSource<Row> {
  readonly table: string;
  /** SQL conditions with $1..$n placeholders, ANDed together; the cursor condition is appended. */
  readonly where: readonly string[];
  readonly params: readonly unknown[];
  /** Ids of this listing start with it, so a cursor from another listing is refused. */
  readonly id_prefix: string;
  readonly columns?: string;
  /**
   * Order by another column than the id (newest = largest). `cursor_value` is SQL giving that
   * column's value for the cursor id, written with `$cursor` where the id goes.
   */
  readonly order?: { readonly column: string; readonly cursor_value: string };
  /**
   * What goes in for `$cursor` where an id says its place itself (a posting's number): undefined
   * when the id is not one of this list's. By default the id as it is.
   */
  readonly cursor_of?: (id: string) => string | undefined;
  readonly map?: (row: Row) => unknown;
}

/**
 * Keyset pagination, newest first. Ids sort by creation time, so `starting_after` pages to older
 * objects (`id < cursor`) and `ending_before` to newer ones (`id > cursor`, read upwards and then
 * reversed). Rows inserted while a client pages are newer than its cursors, so pages never shift:
 * no object is skipped or shown twice. One extra row is read to learn `has_more`.
 */
export async function fetchPage<Row, T>(
  db: Queryable,
  source: PageSource<Row> & { map: (row: Row) => T },
  page: PageQuery,
): Promise<Result<Page<T>>> {
  if (page.starting_after !== undefined && page.ending_before !== undefined) {
    return fail(
      domainError('invalid_request', 'Give starting_after or ending_before, not both.', 'ending_before'),
    );
  }
  const cursor = page.starting_after ?? page.ending_before;
  const cursor_param = page.starting_after !== undefined ? 'starting_after' : 'ending_before';
  const cursor_bound = cursor === undefined ? undefined : boundCursor(source, cursor);
  if (cursor !== undefined && cursor_bound === undefined) {
    return fail(
      domainError('invalid_cursor', `${cursor_param} must be an id of this list's objects.`, cursor_param),
    );
  }
  const where = [...source.where];
  const params = [...source.params];
  const backwards = page.ending_before !== undefined;
  const order_column = source.order?.column ?? 'id';
  if (cursor_bound !== undefined) {
    params.push(cursor_bound);
    const cursor_value =
      source.order?.cursor_value.replaceAll('$cursor', `$${params.length}`) ?? `$${params.length}`;
    where.push(`${order_column} ${backwards ? '>' : '<'} ${cursor_value}`);
  }
  params.push(page.limit + 1);
  const sql = `SELECT ${source.columns ?? '*'} FROM ${source.table}
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${order_column} ${backwards ? 'ASC' : 'DESC'} LIMIT $${params.length}`;
  const result = await db.query(sql, params);
  const rows = result.rows.slice(0, page.limit) as Row[];
  if (backwards) rows.reverse();
  return ok({ object: 'list', data: rows.map(source.map), has_more: result.rows.length > page.limit });
}

/** What a cursor id binds as `$cursor`; undefined when it is not an id of the list's objects. */
function boundCursor<Row>(source: PageSource<Row>, cursor: string): string | undefined {
  if (!cursor.startsWith(`${source.id_prefix}_`)) return undefined;
  return source.cursor_of === undefined ? cursor : source.cursor_of(cursor);
}
