import type { Static } from '@sinclair/typebox';
import { viewsWithScale } from '../assets/scaled-views.js';
import type { Queryable } from '../db/pool.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import type { FxReport } from './schemas.js';

type Report = Static<typeof FxReport>;

/**
 * The FX desk's books: per currency, the position conversions left (bought less sold) and the
 * spread earned, read from the two system accounts of each asset (so it agrees with the ledger by
 * construction); and per pair, the conversions of a period with their volumes and spread.
 */
export async function fxReport(
  db: Queryable,
  livemode: boolean,
  period: { created_gte?: string | undefined; created_lt?: string | undefined },
): Promise<Report> {
  const balances = await db.query<{ asset: string; purpose: 'fx_position' | 'fx_spread'; balance: string }>(
    `SELECT asset, purpose, (posted_credits - posted_debits)::text AS balance FROM accounts
     WHERE livemode = $1 AND kind = 'system' AND purpose IN ('fx_position', 'fx_spread') AND postings_count > 0
     ORDER BY asset`,
    [livemode],
  );
  const by_asset = new Map<string, { asset: string; position: bigint; spread: bigint }>();
  for (const row of balances.rows) {
    const entry = by_asset.get(row.asset) ?? { asset: row.asset, position: 0n, spread: 0n };
    if (row.purpose === 'fx_position') entry.position = minorFromDb(row.balance);
    else entry.spread = minorFromDb(row.balance);
    by_asset.set(row.asset, entry);
  }
  const positions = await viewsWithScale(db, livemode, [...by_asset.values()], (entry, scale) => ({
    currency: entry.asset,
    position: formatAmount(entry.position, scale),
    spread_earned: formatAmount(entry.spread, scale),
  }));
  return { object: 'fx_report', livemode, positions, pairs: await pairsOf(db, livemode, period) };
}

async function pairsOf(
  db: Queryable,
  livemode: boolean,
  period: { created_gte?: string | undefined; created_lt?: string | undefined },
): Promise<Report['pairs']> {
  const result = await db.query<{
    source_asset: string;
    target_asset: string;
    count: string;
    source_volume: string;
    target_volume: string;
    spread: string;
  }>(
    `SELECT source_asset, target_asset, count(*)::text AS count, sum(source_amount)::text AS source_volume,
       sum(target_amount)::text AS target_volume, sum(spread_amount)::text AS spread
     FROM conversions
     WHERE livemode = $1 AND status = 'succeeded' AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
     GROUP BY source_asset, target_asset ORDER BY source_asset, target_asset`,
    [livemode, period.created_gte ?? null, period.created_lt ?? null],
  );
  const rows = result.rows.map((row) => ({ ...row, asset: row.source_asset }));
  const with_source = await viewsWithScale(db, livemode, rows, (row, scale) => ({
    row,
    source_scale: scale,
  }));
  const targets = with_source.map(({ row, source_scale }) => ({
    row,
    source_scale,
    asset: row.target_asset,
  }));
  return viewsWithScale(db, livemode, targets, ({ row, source_scale }, target_scale) => ({
    source_currency: row.source_asset,
    target_currency: row.target_asset,
    conversions: Number(row.count),
    source_volume: formatAmount(minorFromDb(row.source_volume), source_scale),
    target_volume: formatAmount(minorFromDb(row.target_volume), target_scale),
    spread_earned: formatAmount(minorFromDb(row.spread), target_scale),
  }));
}
