/** Pure helpers of the pages, tested in test/format.test.ts. */

/** Every date from `from` to `to` inclusive, as YYYY-MM-DD (UTC); at most `days_max` of them. */
export function daysBetween(from: string, to: string, days_max = 366): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && days.length < days_max; t += 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/**
 * The overview leaves out days without activity: one value per day of `days`, zero where absent.
 * `pick` reads the value of a row.
 */
export function fillDays<R extends { readonly date: string }>(
  days: readonly string[],
  rows: readonly R[],
  pick: (row: R) => number,
): number[] {
  const by_day = new Map<string, number>();
  for (const row of rows) by_day.set(row.date, (by_day.get(row.date) ?? 0) + pick(row));
  return days.map((day) => by_day.get(day) ?? 0);
}

/**
 * A decimal amount as a chart's y value. Charts draw with floating point, which is fine for a
 * picture; every figure shown as text (tables, balances) stays the API's exact decimal string.
 */
export function plotted(amount: string): number {
  const value = Number(amount);
  return Number.isFinite(value) ? value : 0;
}

/** A rate of "0.0909" as "9.09 %". */
export function percent(rate: string | null | undefined): string {
  if (rate === null || rate === undefined) return '–';
  const value = Number(rate);
  return Number.isFinite(value) ? `${(value * 100).toFixed(2)} %` : rate;
}

/** The currencies of the volume rows, sorted, each once. */
export function currenciesOf(rows: readonly { readonly currency: string }[]): string[] {
  return [...new Set(rows.map((row) => row.currency))].sort();
}

/** The page's object type from an id's prefix, for links from search results and events. */
const prefixes: Readonly<Record<string, string>> = {
  hol: 'holders',
  wal: 'wallets',
  tr: 'transfers',
  pay: 'payments',
  po: 'payouts',
  esc: 'escrows',
  apr: 'approvals',
  re: 'refunds',
  we: 'webhooks',
  key: 'api_keys',
};

export function routeOfId(id: string): string | undefined {
  const prefix = id.slice(0, id.indexOf('_'));
  const collection = prefixes[prefix];
  return collection === undefined ? undefined : `/${collection}/${encodeURIComponent(id)}`;
}

/** A timestamp as the operator reads it: UTC, to the second. */
export function when(timestamp: string | null | undefined): string {
  if (timestamp === null || timestamp === undefined) return '–';
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime())
    ? timestamp
    : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The document title: the mode first, so no tab or window list hides it. */
export function pageTitle(page: string, mode: 'test' | 'live'): string {
  return `${mode === 'live' ? 'LIVE' : 'TEST'} · ${page} · Purse dashboard`;
}
