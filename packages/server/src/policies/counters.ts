import type { Client } from '../db/pool.js';

export type Period = 'day' | 'month' | 'week';
export const periods: readonly Period[] = ['day', 'month', 'week'];

/** The UTC calendar day, ISO week (from Monday) and month that `now` falls in, as dates. */
export function periodStarts(now: Date): Record<Period, string> {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const monday = new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86_400_000);
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const date = (d: Date) => d.toISOString().slice(0, 10);
  return { day: date(day), month: date(month), week: date(monday) };
}

/**
 * Locks the key's counters of this asset for the current periods (creating them at zero) and
 * returns what they hold. The rows stay locked until the transaction ends, so a parallel request
 * of the same key waits here and then sees this one's increments: limits cannot be overshot.
 * Periods are locked in one fixed order, so two requests never deadlock on them.
 */
export async function lockCounters(
  db: Client,
  api_key_id: string,
  asset: string,
  now: Date,
): Promise<Record<Period, bigint>> {
  const starts = periodStarts(now);
  const result = await db.query<{ period: Period; spent_minor: string }>(
    `INSERT INTO spend_counters (api_key_id, asset, period, period_start)
     VALUES ($1, $2, 'day', $3), ($1, $2, 'month', $4), ($1, $2, 'week', $5)
     ON CONFLICT (api_key_id, asset, period, period_start) DO UPDATE SET spent_minor = spend_counters.spent_minor
     RETURNING period, spent_minor`,
    [api_key_id, asset, starts.day, starts.month, starts.week],
  );
  const spent = { day: 0n, month: 0n, week: 0n };
  for (const row of result.rows) spent[row.period] = BigInt(row.spent_minor);
  return spent;
}

/** Adds what was moved to the counters locked by `lockCounters` in this transaction. */
export async function addToCounters(
  db: Client,
  api_key_id: string,
  asset: string,
  now: Date,
  amount_minor: bigint,
): Promise<void> {
  if (amount_minor === 0n) return;
  const starts = periodStarts(now);
  await db.query(
    `UPDATE spend_counters SET spent_minor = spent_minor + $3
     WHERE api_key_id = $1 AND asset = $2 AND (period, period_start) IN (('day', $4::date), ('month', $5::date), ('week', $6::date))`,
    [api_key_id, asset, amount_minor.toString(), starts.day, starts.month, starts.week],
  );
}
