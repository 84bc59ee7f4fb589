import { pageWithScale, viewById } from '../assets/scaled-views.js';
import type { Queryable } from '../db/pool.js';
import { notFound } from '../shared/errors.js';
import { fetchPage, type Page, type PageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { type PriceRow, type ProductRow, priceView, productView } from './catalog-views.js';
import { type CouponRow, couponView, type TaxRateRow, taxRateView } from './discounts.js';
import { type InvoiceRow, invoiceView } from './invoice-views.js';
import { loadBillables } from './state.js';
import { type SubscriptionRow, type SubscriptionView, subscriptionView } from './subscription-views.js';
import { type TestClockRow, testClockView } from './test-clocks.js';

/** Retrieving and listing the billing objects, newest first, within the key's mode. */

type Filters = Readonly<Record<string, string | boolean | undefined>>;

function conditions(livemode: boolean, filters: Filters): { where: string[]; params: unknown[] } {
  const where = ['livemode = $1'];
  const params: unknown[] = [livemode];
  for (const [column, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  return { where, params };
}

async function one<Row>(
  db: Queryable,
  table: string,
  livemode: boolean,
  id: string,
  what: string,
): Promise<Result<Row>> {
  const found = await db.query(`SELECT * FROM ${table} WHERE id = $1 AND livemode = $2`, [id, livemode]);
  const row = found.rows[0] as Row | undefined;
  return row === undefined ? fail(notFound(what, id)) : ok(row);
}

export async function getProduct(db: Queryable, livemode: boolean, id: string) {
  const row = await one<ProductRow>(db, 'products', livemode, id, 'product');
  return row.ok ? ok(productView(row.value)) : row;
}

export function listProducts(db: Queryable, livemode: boolean, page: PageQuery, filters: Filters) {
  return fetchPage(
    db,
    { table: 'products', ...conditions(livemode, filters), id_prefix: 'prod', map: productView },
    page,
  );
}

export function getPrice(db: Queryable, livemode: boolean, id: string) {
  return viewById<PriceRow, ReturnType<typeof priceView>>(
    db,
    livemode,
    { table: 'prices', what: 'price' },
    id,
    priceView,
  );
}

export function listPrices(db: Queryable, livemode: boolean, page: PageQuery, filters: Filters) {
  return pageWithScale<PriceRow, ReturnType<typeof priceView>>(
    db,
    livemode,
    { table: 'prices', ...conditions(livemode, filters), id_prefix: 'prc' },
    page,
    priceView,
  );
}

export async function getCoupon(db: Queryable, livemode: boolean, id: string) {
  const row = await one<CouponRow>(db, 'coupons', livemode, id, 'coupon');
  return row.ok ? ok(await couponView(db, row.value)) : row;
}

export async function listCoupons(db: Queryable, livemode: boolean, page: PageQuery, filters: Filters) {
  const rows = await fetchPage(
    db,
    { table: 'coupons', ...conditions(livemode, filters), id_prefix: 'cpn', map: (row: CouponRow) => row },
    page,
  );
  if (!rows.ok) return rows;
  const data = [];
  for (const row of rows.value.data) data.push(await couponView(db, row));
  return ok({ ...rows.value, data });
}

export async function getTaxRate(db: Queryable, livemode: boolean, id: string) {
  const row = await one<TaxRateRow>(db, 'tax_rates', livemode, id, 'tax rate');
  return row.ok ? ok(taxRateView(row.value)) : row;
}

export function listTaxRates(db: Queryable, livemode: boolean, page: PageQuery, filters: Filters) {
  return fetchPage(
    db,
    { table: 'tax_rates', ...conditions(livemode, filters), id_prefix: 'txr', map: taxRateView },
    page,
  );
}

async function subscriptionViews(
  db: Queryable,
  rows: readonly SubscriptionRow[],
): Promise<SubscriptionView[]> {
  return (await loadBillables(db, rows)).map((b) => subscriptionView(b.subscription, b.items));
}

export async function getSubscription(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<SubscriptionView>> {
  const row = await one<SubscriptionRow>(db, 'subscriptions', livemode, id, 'subscription');
  if (!row.ok) return row;
  const [view] = await subscriptionViews(db, [row.value]);
  return view === undefined ? fail(notFound('subscription', id)) : ok(view);
}

export async function listSubscriptions(
  db: Queryable,
  livemode: boolean,
  page: PageQuery,
  filters: Filters,
): Promise<Result<Page<SubscriptionView>>> {
  const rows = await fetchPage(
    db,
    {
      table: 'subscriptions',
      ...conditions(livemode, filters),
      id_prefix: 'sub',
      map: (row: SubscriptionRow) => row,
    },
    page,
  );
  return rows.ok ? ok({ ...rows.value, data: await subscriptionViews(db, rows.value.data) }) : rows;
}

export function getInvoiceView(db: Queryable, livemode: boolean, id: string) {
  return viewById<InvoiceRow, ReturnType<typeof invoiceView>>(
    db,
    livemode,
    { table: 'invoices', what: 'invoice' },
    id,
    invoiceView,
  );
}

export function listInvoices(db: Queryable, livemode: boolean, page: PageQuery, filters: Filters) {
  return pageWithScale<InvoiceRow, ReturnType<typeof invoiceView>>(
    db,
    livemode,
    { table: 'invoices', ...conditions(livemode, filters), id_prefix: 'inv' },
    page,
    invoiceView,
  );
}

export async function getTestClock(db: Queryable, livemode: boolean, id: string) {
  const row = await one<TestClockRow>(db, 'test_clocks', livemode, id, 'test clock');
  return row.ok ? ok(testClockView(row.value)) : row;
}

export function listTestClocks(db: Queryable, livemode: boolean, page: PageQuery) {
  return fetchPage(
    db,
    { table: 'test_clocks', ...conditions(livemode, {}), id_prefix: 'clock', map: testClockView },
    page,
  );
}
