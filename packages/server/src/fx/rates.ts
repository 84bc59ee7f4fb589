import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { Queryable } from '../db/pool.js';
import { domainError, notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { newId } from '../shared/ids.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { formatDecimal, parseRate, parseStored } from './decimal.js';
import type { PublishedRate } from './ecb.js';
import { findMidRate, type MidRate, type StoredRate } from './paths.js';
import type { FxRateListQuery } from './schemas.js';

export type RateSource = 'api' | 'ecb';

interface RateRow {
  id: string;
  livemode: boolean;
  base: string;
  quote: string;
  rate: string;
  source: RateSource;
  as_of: Date;
  created_at: Date;
}

export interface FxRateView {
  readonly id: string;
  readonly object: 'fx_rate';
  readonly livemode: boolean;
  readonly base: string;
  readonly quote: string;
  readonly rate: string;
  readonly source: RateSource;
  readonly as_of: string;
  readonly created_at: string;
}

function rateView(row: RateRow): FxRateView {
  return {
    id: row.id,
    object: 'fx_rate',
    livemode: row.livemode,
    base: row.base,
    quote: row.quote,
    rate: formatDecimal(parseStored(row.rate)),
    source: row.source,
    as_of: row.as_of.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

/** A source's clock may run a little ahead of ours; a rate dated further ahead is a mistake. */
const future_skew_ms = 5 * 60_000;

/** An operator's rate: both assets must exist in the mode, the rate a positive decimal string. */
export async function createRate(
  db: Queryable,
  livemode: boolean,
  input: { base: string; quote: string; rate: string | number; as_of?: string },
  now: Date,
): Promise<Result<FxRateView>> {
  for (const param of ['base', 'quote'] as const) {
    const scale = await assetScale(db, livemode, input[param], param);
    if (!scale.ok) return scale;
  }
  if (input.base === input.quote)
    return fail(domainError('invalid_request', 'base and quote must be different assets.', 'quote'));
  const rate = parseRate(typeof input.rate === 'number' ? numberText(input.rate) : input.rate);
  if (rate === undefined)
    return fail(
      domainError(
        'invalid_request',
        'rate must be a positive decimal string such as "1.0842" (at most 12 integer and 15 decimal digits).',
        'rate',
      ),
    );
  const as_of = input.as_of === undefined ? now : new Date(input.as_of);
  if (as_of.getTime() > now.getTime() + future_skew_ms)
    return fail(domainError('invalid_request', 'as_of must not be in the future.', 'as_of'));
  const row = await insertRate(
    db,
    livemode,
    { base: input.base, quote: input.quote, rate, as_of },
    'api',
    now,
  );
  return ok(rateView(row as RateRow));
}

/**
 * A JSON number's shortest text is the literal that was sent whenever that literal had at most 15
 * significant digits (a double holds 15 decimal digits exactly); longer ones, and exponents, may
 * not read back as sent, so they are refused and must come as strings.
 */
function numberText(value: number): string {
  const text = String(value);
  const significant = text.replace('.', '').replace(/^0+/, '').length;
  return /e/i.test(text) || significant > 15 ? '' : text;
}

async function insertRate(
  db: Queryable,
  livemode: boolean,
  rate: PublishedRate,
  source: RateSource,
  now: Date,
): Promise<RateRow | undefined> {
  const result = await db.query<RateRow>(
    `INSERT INTO fx_rates (id, livemode, base, quote, rate, source, as_of, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING *`,
    [
      newId('fx_rate', now.getTime()),
      livemode,
      rate.base,
      rate.quote,
      formatDecimal(rate.rate),
      source,
      rate.as_of,
      now,
    ],
  );
  return result.rows[0];
}

export interface RateImport {
  readonly object: 'fx_rate_import';
  readonly source: RateSource;
  /** Rates newly recorded; a rate already imported from the same file is not recorded twice. */
  readonly recorded: number;
  /** Rates the source published again for the same time with another value: replaced. */
  readonly corrected: number;
  readonly unchanged: number;
  /** Currencies in the file that are not assets of this mode. */
  readonly skipped_currencies: string[];
  readonly as_of: string | null;
}

/**
 * Records a published file's rates for the assets this mode has; the rest are listed as skipped.
 * A rate dated in the future is refused with the whole file: as the newest rate of its pair it
 * would be quoted ahead of every later one, and never go stale.
 */
export async function importRates(
  db: Queryable,
  livemode: boolean,
  rates: readonly PublishedRate[],
  source: RateSource,
  now: Date,
): Promise<Result<RateImport>> {
  const future = rates.find((rate) => rate.as_of.getTime() > now.getTime() + future_skew_ms);
  if (future !== undefined)
    return fail(
      domainError(
        'invalid_request',
        `The file dates rates ${future.as_of.toISOString()}, in the future.`,
        'xml',
      ),
    );
  const known = await db.query<{ code: string }>(
    'SELECT code FROM assets WHERE livemode = $1 AND code = ANY($2::text[])',
    [livemode, [...new Set(rates.flatMap((rate) => [rate.base, rate.quote]))]],
  );
  const codes = new Set(known.rows.map((row) => row.code));
  const usable = rates.filter((rate) => codes.has(rate.base) && codes.has(rate.quote));
  let recorded = 0;
  let corrected = 0;
  for (const rate of usable) {
    const outcome = await recordImported(db, livemode, rate, source, now);
    if (outcome === 'recorded') recorded += 1;
    if (outcome === 'corrected') corrected += 1;
  }
  const skipped = rates.flatMap((rate) => [rate.base, rate.quote]).filter((code) => !codes.has(code));
  const newest = rates.reduce<Date | null>(
    (max, rate) => (max === null || rate.as_of > max ? rate.as_of : max),
    null,
  );
  return ok({
    object: 'fx_rate_import',
    source,
    recorded,
    corrected,
    unchanged: usable.length - recorded - corrected,
    skipped_currencies: [...new Set(skipped)].sort(),
    as_of: newest?.toISOString() ?? null,
  });
}

/**
 * One imported rate: new, the same as already imported for its pair and time (unchanged), or a
 * correction the source published for that same time, which replaces it (quotes already made
 * keep the rate they were made at).
 */
async function recordImported(
  db: Queryable,
  livemode: boolean,
  rate: PublishedRate,
  source: RateSource,
  now: Date,
): Promise<'recorded' | 'corrected' | 'unchanged'> {
  if ((await insertRate(db, livemode, rate, source, now)) !== undefined) return 'recorded';
  const updated = await db.query(
    `UPDATE fx_rates SET rate = $6, created_at = $7
     WHERE livemode = $1 AND source = $2 AND base = $3 AND quote = $4 AND as_of = $5 AND rate <> $6`,
    [livemode, source, rate.base, rate.quote, rate.as_of, formatDecimal(rate.rate), now],
  );
  return updated.rowCount === 1 ? 'corrected' : 'unchanged';
}

export async function getRate(db: Queryable, livemode: boolean, id: string): Promise<Result<FxRateView>> {
  const result = await db.query<RateRow>('SELECT * FROM fx_rates WHERE id = $1 AND livemode = $2', [
    id,
    livemode,
  ]);
  const row = result.rows[0];
  return row === undefined ? fail(notFound('fx rate', id)) : ok(rateView(row));
}

export async function listRates(
  db: Queryable,
  livemode: boolean,
  filter: Static<typeof FxRateListQuery>,
): Promise<Result<Page<FxRateView>>> {
  const { where, params } = new Filters(livemode)
    .equals('base', filter.base)
    .equals('quote', filter.quote)
    .equals('source', filter.source);
  return fetchPage(
    db,
    { table: 'fx_rates', where, params, id_prefix: 'fxr', map: rateView },
    pageQuery(filter),
  );
}

/**
 * The mid rate from `source` to `target` now: direct, inverse or crossed (paths.ts), from the
 * newest rate of each pair no older than `max_age_ms`. No fresh path: `fx_rate_stale` if a stale
 * one exists, else `fx_rate_unavailable`.
 */
export async function currentMidRate(
  db: Queryable,
  livemode: boolean,
  pair: { source: string; target: string },
  now: Date,
  max_age_ms: number,
): Promise<Result<MidRate>> {
  const oldest = new Date(now.getTime() - max_age_ms);
  const fresh = findMidRate(await newestRates(db, livemode, pair, oldest), pair.source, pair.target);
  if (fresh !== undefined) return ok(fresh);
  const any = findMidRate(await newestRates(db, livemode, pair, new Date(0)), pair.source, pair.target);
  if (any !== undefined)
    return fail(
      domainError(
        'fx_rate_stale',
        `The newest ${pair.source}/${pair.target} rate is from ${any.as_of.toISOString()}, older than ${max_age_ms / 1000} s: no quote until a fresh rate arrives.`,
        'target_currency',
      ),
    );
  return fail(
    domainError(
      'fx_rate_unavailable',
      `No rate converts ${pair.source} to ${pair.target}: set one with POST /v1/fx_rates or import a rate file.`,
      'target_currency',
    ),
  );
}

/**
 * The newest rate, as of `oldest` or later, of every pair that has `source` or `target` on one
 * side: enough for the direct, inverse and one-hop cross paths between them.
 */
async function newestRates(
  db: Queryable,
  livemode: boolean,
  pair: { source: string; target: string },
  oldest: Date,
): Promise<StoredRate[]> {
  const result = await db.query<{ base: string; quote: string; rate: string; source: string; as_of: Date }>(
    `SELECT DISTINCT ON (base, quote) base, quote, rate::text AS rate, source, as_of FROM fx_rates
     WHERE livemode = $1 AND (base = ANY($2::text[]) OR quote = ANY($2::text[])) AND as_of >= $3
     ORDER BY base, quote, as_of DESC, id DESC`,
    [livemode, [pair.source, pair.target], oldest],
  );
  return result.rows.map((row) => ({ ...row, rate: parseStored(row.rate) }));
}
