import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import { type Client, inTransaction, type Pool } from '../db/pool.js';
import type { LatencyQuantiles } from '../http/latency.js';
import { assert } from '../shared/assert.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import { overviewFacts } from './overview-facts.js';
import type { Overview } from './overview-schemas.js';
import { type DayTotal, mergeTotals, overviewSeries, rateOf } from './overview-shape.js';

type Body = Static<typeof Overview>;

const day_ms = 86_400_000;

/**
 * The dashboard's overview of one mode over the `days` UTC days ending today.
 *
 * Exact as of one snapshot: a REPEATABLE READ transaction reads the rollups, the cursor they
 * cover, and the events past it (sequenced after the last fold, or not sequenced yet), so every
 * committed event is counted once, in the rollups or in the tail. The tail is what the worker has
 * not folded yet: about (sequencer interval + fold interval) of traffic while the worker keeps up,
 * so it costs little; the figures are never stale. Balances are from the ledger's running totals
 * and webhook deliveries from an index on their creation time: no read grows with the number of
 * transfers.
 */
export async function overviewReport(
  pool: Pool,
  livemode: boolean,
  days: number,
  now: Date,
  latency: LatencyQuantiles,
): Promise<Body> {
  assert(Number.isInteger(days) && days >= 1, `days ${days}`);
  const to = now.toISOString().slice(0, 10);
  const from = new Date(Date.parse(to) - (days - 1) * day_ms).toISOString().slice(0, 10);
  return inTransaction(pool, async (db) => {
    await db.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await db.query('SET LOCAL enable_seqscan = off');
    const totals = mergeTotals([
      ...(await foldedTotals(db, livemode, from, to)),
      ...(await tailTotals(db, livemode, from, to)),
    ]);
    const scales = await scalesOf(
      db,
      livemode,
      totals.map((total) => total.asset),
    );
    return {
      object: 'overview' as const,
      livemode,
      days,
      from,
      to,
      generated_at: now.toISOString(),
      ...overviewSeries(totals, scales),
      balances: await walletBalances(db, livemode),
      webhooks: await webhookOutcomes(db, livemode, from, now),
      latency,
    };
  });
}

interface TotalRow {
  day: string;
  metric: DayTotal['metric'];
  asset: string;
  count: string;
  amount: string;
}

function totalOf(row: TotalRow): DayTotal {
  return {
    day: row.day,
    metric: row.metric,
    asset: row.asset,
    count: BigInt(row.count),
    amount_minor: minorFromDb(row.amount),
  };
}

async function foldedTotals(db: Client, livemode: boolean, from: string, to: string): Promise<DayTotal[]> {
  const rows = await db.query<TotalRow>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, metric, asset, count::text AS count, amount::text AS amount
     FROM daily_rollups WHERE livemode = $1 AND day BETWEEN $2 AND $3`,
    [livemode, from, to],
  );
  return rows.rows.map(totalOf);
}

/** Events the fold has not reached: past its cursor, or not sequenced yet (both indexed). */
async function tailTotals(db: Client, livemode: boolean, from: string, to: string): Promise<DayTotal[]> {
  const rows = await db.query<TotalRow>(
    `WITH cursor AS (SELECT position FROM rollup_cursors WHERE name = 'overview'),
     picked AS MATERIALIZED (
       SELECT livemode, type, object_id, created_at FROM events
       WHERE position > (SELECT position FROM cursor) AND livemode = $1
       UNION ALL
       SELECT livemode, type, object_id, created_at FROM events WHERE position IS NULL AND livemode = $1
     ), facts AS (${overviewFacts('picked')})
     SELECT to_char(day, 'YYYY-MM-DD') AS day, metric, asset, count(*)::text AS count, sum(amount)::text AS amount
     FROM facts WHERE day BETWEEN $2 AND $3 GROUP BY day, metric, asset`,
    [livemode, from, to],
  );
  return rows.rows.map(totalOf);
}

async function scalesOf(
  db: Client,
  livemode: boolean,
  assets: readonly string[],
): Promise<Map<string, number>> {
  const scales = new Map<string, number>();
  for (const asset of new Set(assets)) {
    const scale = await assetScale(db, livemode, asset, 'currency');
    assert(scale.ok, `asset ${asset} of a rollup does not exist`);
    scales.set(asset, scale.value);
  }
  return scales;
}

/**
 * Every wallet's posted balance (available + held) summed per asset, read from the system
 * accounts alone: per asset and mode the ledger sums to zero (ledger/verify.ts), so what the
 * wallets hold is what the system accounts owe. A few rows per asset, however many wallets.
 */
async function walletBalances(db: Client, livemode: boolean): Promise<Body['balances']> {
  const rows = await db.query<{ asset: string; held: string }>(
    `SELECT asset, (sum(posted_debits) - sum(posted_credits))::text AS held FROM accounts
     WHERE livemode = $1 AND kind = 'system' GROUP BY asset HAVING sum(postings_count) > 0 ORDER BY asset`,
    [livemode],
  );
  const balances: Body['balances'] = [];
  for (const row of rows.rows) {
    const scale = await assetScale(db, livemode, row.asset, 'currency');
    assert(scale.ok, `asset ${row.asset} of an account does not exist`);
    balances.push({ currency: row.asset, amount: formatAmount(minorFromDb(row.held), scale.value) });
  }
  return balances;
}

/** Deliveries created in the window that ended: succeeded or failed for good (pending ones wait). */
async function webhookOutcomes(
  db: Client,
  livemode: boolean,
  from: string,
  now: Date,
): Promise<Body['webhooks']> {
  const rows = await db.query<{ delivered: string; failed: string }>(
    `SELECT count(*) FILTER (WHERE d.status = 'succeeded')::text AS delivered,
       count(*) FILTER (WHERE d.status = 'failed')::text AS failed
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
     WHERE e.livemode = $1 AND d.created_at >= $2 AND d.created_at <= $3`,
    [livemode, `${from}T00:00:00Z`, now],
  );
  const delivered = BigInt(rows.rows[0]?.delivered ?? '0');
  const failed = BigInt(rows.rows[0]?.failed ?? '0');
  return {
    delivered: Number(delivered),
    failed: Number(failed),
    success_rate: rateOf(delivered, delivered + failed),
  };
}
