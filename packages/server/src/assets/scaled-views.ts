import type { Queryable } from '../db/pool.js';
import { notFound } from '../shared/errors.js';
import { fetchPage, type Page, type PageQuery, type PageSource } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { assetScale } from './service.js';

/**
 * Reading money objects (transfers, payments, payouts, refunds...) for the API: each row is
 * rendered with its asset's scale, which only the assets domain knows. Generic over the table and
 * the view, so every domain's retrieve and list share them.
 */

/** Renders rows of a list, each with its asset's scale; rows of an unknown asset cannot exist. */
export async function viewsWithScale<Row extends { asset: string }, View>(
  db: Queryable,
  livemode: boolean,
  rows: readonly Row[],
  view: (row: Row, scale: number) => View,
): Promise<View[]> {
  const views: View[] = [];
  for (const row of rows) {
    const scale = await assetScale(db, livemode, row.asset, 'currency');
    if (scale.ok) views.push(view(row, scale.value));
  }
  return views;
}

/** One row of a table of money objects, by id within a mode, rendered with its asset's scale. */
export async function viewById<Row extends { asset: string }, View>(
  db: Queryable,
  livemode: boolean,
  source: { readonly table: string; readonly what: string },
  id: string,
  view: (row: Row, scale: number) => View,
): Promise<Result<View>> {
  const result = await db.query<Row>(`SELECT * FROM ${source.table} WHERE id = $1 AND livemode = $2`, [
    id,
    livemode,
  ]);
  const row = result.rows[0];
  if (row === undefined) return fail(notFound(source.what, id));
  const scale = await assetScale(db, livemode, row.asset, 'currency');
  return scale.ok ? ok(view(row, scale.value)) : scale;
}

/** A page of a list of money objects, each rendered with its asset's scale. */
export async function pageWithScale<Row extends { asset: string }, View>(
  db: Queryable,
  livemode: boolean,
  source: Omit<PageSource<Row>, 'map'>,
  page: PageQuery,
  view: (row: Row, scale: number) => View,
): Promise<Result<Page<View>>> {
  const rows = await fetchPage(db, { ...source, map: (row: Row) => row }, page);
  if (!rows.ok) return rows;
  return ok({ ...rows.value, data: await viewsWithScale(db, livemode, rows.value.data, view) });
}
