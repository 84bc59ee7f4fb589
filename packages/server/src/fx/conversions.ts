import type { Static } from '@sinclair/typebox';
import type { Client, Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { type AccountRow, findWallet, systemAccountId } from '../ledger/accounts.js';
import type { EntryIntent } from '../ledger/entries.js';
import { writeEntries } from '../ledger/write.js';
import type { RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { newId } from '../shared/ids.js';
import { minorFromDb } from '../shared/money.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { formatDecimal, parseStored } from './decimal.js';
import {
  fixedAmount,
  type Pair,
  type PricedRow,
  pairOf,
  pricedView,
  priceNow,
  type QuoteRow,
} from './quotes.js';
import type { ConversionListQuery, CreateConversionBody } from './schemas.js';

export type ConversionInput = Static<typeof CreateConversionBody>;

/** What a conversion moves, however it was priced: from a quote or at the current rate. */
export interface Terms {
  readonly pair: Pair;
  readonly source_minor: bigint;
  readonly target_minor: bigint;
  readonly spread_minor: bigint;
  readonly rate: string;
  readonly mid_rate: string;
  readonly spread_bps: number;
  readonly rate_source: string;
  readonly quote_id: string | null;
}

/**
 * One ledger entry per conversion, balanced per asset: the source wallet pays the source asset's
 * FX position; the target asset's position pays the target wallet and the spread account.
 */
export function conversionEntry(
  livemode: boolean,
  id: string,
  /** The paying wallet, and the account the target amount goes to: a wallet, or a rail's clearing. */
  accounts: { source: string; target: string },
  terms: Terms,
): EntryIntent {
  const { pair } = terms;
  const position = (asset: string) => systemAccountId(livemode, asset, 'fx_position');
  const movements = [
    {
      from: accounts.source,
      to: position(pair.source),
      amount_minor: terms.source_minor,
      layer: 'posted' as const,
    },
    {
      from: position(pair.target),
      to: accounts.target,
      amount_minor: terms.target_minor,
      layer: 'posted' as const,
    },
  ];
  if (terms.spread_minor > 0n)
    movements.push({
      from: position(pair.target),
      to: systemAccountId(livemode, pair.target, 'fx_spread'),
      amount_minor: terms.spread_minor,
      layer: 'posted',
    });
  return { livemode, reason: 'conversion', reference_id: id, movements };
}

/**
 * Converts between two wallets of one holder (or two platform wallets) in one transaction: the
 * quote is locked and spent, the entry written, the conversion recorded, its event queued.
 */
export async function createConversion(
  ctx: RailContext,
  input: ConversionInput,
): Promise<Result<ConversionView>> {
  if ((input.quote_id === undefined) === (input.source_amount === undefined))
    return fail(
      domainError(
        'invalid_request',
        'Give quote_id, or source_amount to convert at the current rate (one of the two).',
        input.quote_id === undefined ? 'source_amount' : 'quote_id',
      ),
    );
  // The quote first: an unknown quote is 404 whatever the wallets, so it tells nothing about them.
  const quote =
    input.quote_id === undefined ? undefined : await lockQuote(ctx.db, ctx.livemode, input.quote_id);
  if (input.quote_id !== undefined && quote === undefined)
    return fail(notFound('fx quote', input.quote_id, 'quote_id'));
  const wallets = await walletsOf(ctx.db, ctx.livemode, input);
  if (!wallets.ok) return wallets;
  const terms = await termsOf(ctx, input, wallets.value, quote);
  if (!terms.ok) return terms;
  const id = newId('conversion', ctx.now.getTime());
  const ids = { source: input.source_wallet_id, target: input.target_wallet_id };
  const [outcome] = await writeEntries(
    ctx.db,
    [conversionEntry(ctx.livemode, id, ids, terms.value)],
    ctx.now,
  );
  assert(outcome !== undefined, 'one entry, one outcome');
  if (!outcome.ok) return fail(walletProblem(outcome.error, input));
  const made = {
    id,
    kind: 'conversion' as const,
    holder_id: wallets.value.source.holder_id,
    source_wallet_id: input.source_wallet_id,
    target_wallet_id: input.target_wallet_id,
    description: input.description ?? null,
    metadata: input.metadata ?? {},
  };
  return ok(await recordConversion(ctx, made, terms.value, outcome.value.transaction_id));
}

/** What a conversion row says besides its terms. */
export interface ConversionMade {
  readonly id: string;
  readonly kind: 'conversion' | 'transfer' | 'payout';
  readonly holder_id: string | null;
  readonly source_wallet_id: string;
  readonly target_wallet_id: string | null;
  readonly description: string | null;
  readonly metadata: Record<string, string>;
}

/** Records a conversion whose entry was written: its row, its quote spent, its event. */
export async function recordConversion(
  ctx: RailContext,
  made: ConversionMade,
  terms: Terms,
  transaction_id: string,
): Promise<ConversionView> {
  const row = await insertConversion(ctx, made, terms, transaction_id);
  if (terms.quote_id !== null)
    await ctx.db.query(`UPDATE fx_quotes SET status = 'used', conversion_id = $2 WHERE id = $1`, [
      terms.quote_id,
      made.id,
    ]);
  const view = conversionView(row, terms.pair);
  await recordEvents(ctx.db, [eventOf('conversion.succeeded', view)], ctx.now);
  return view;
}

/** The ledger names the wallet at fault by id; the problem names the request field. */
function walletProblem(error: DomainError, input: ConversionInput): DomainError {
  if (error.subject === input.source_wallet_id) return { ...error, param: 'source_wallet_id' };
  if (error.subject === input.target_wallet_id) return { ...error, param: 'target_wallet_id' };
  return error;
}

async function walletsOf(
  db: Queryable,
  livemode: boolean,
  input: ConversionInput,
): Promise<Result<{ source: AccountRow; target: AccountRow }>> {
  const source = await findWallet(db, livemode, input.source_wallet_id);
  if (source === undefined) return fail(notFound('wallet', input.source_wallet_id, 'source_wallet_id'));
  const target = await findWallet(db, livemode, input.target_wallet_id);
  if (target === undefined) return fail(notFound('wallet', input.target_wallet_id, 'target_wallet_id'));
  if (source.id === target.id)
    return fail(domainError('same_wallet', 'A conversion needs two different wallets.', 'target_wallet_id'));
  if (source.holder_id !== target.holder_id)
    return fail(
      domainError(
        'holder_mismatch',
        'A conversion moves money between wallets of one holder; to pay another holder, transfer after converting.',
        'target_wallet_id',
      ),
    );
  return ok({ source, target });
}

async function termsOf(
  ctx: RailContext,
  input: ConversionInput,
  wallets: { source: AccountRow; target: AccountRow },
  quote: QuoteRow | undefined,
): Promise<Result<Terms>> {
  const pair = await pairOf(ctx.db, ctx.livemode, wallets.source.asset, wallets.target.asset, {
    source: 'source_wallet_id',
    target: 'target_wallet_id',
  });
  if (!pair.ok) return pair;
  if (quote !== undefined) {
    const refusal = quoteRefusal(quote, pair.value, wallets.source.holder_id, ctx.now);
    return refusal === undefined ? ok(quotedTerms(quote, pair.value)) : fail(refusal);
  }
  const fixed = fixedAmount(pair.value, { source_amount: input.source_amount });
  if (!fixed.ok) return fixed;
  const priced = await priceNow(ctx.db, ctx.livemode, ctx.rails.fx, pair.value, fixed.value, ctx.now);
  if (!priced.ok) return priced;
  const p = priced.value;
  return ok({
    pair: pair.value,
    source_minor: p.source_minor,
    target_minor: p.target_minor,
    spread_minor: p.spread_minor,
    rate: formatDecimal(p.rate),
    mid_rate: p.mid,
    spread_bps: p.spread_bps,
    rate_source: p.rate_source,
    quote_id: null,
  });
}

/** A quote's terms. Its row is locked, so two conversions racing for it queue and the second finds it used. */
export function quotedTerms(quote: QuoteRow, pair: Pair): Terms {
  return {
    pair,
    source_minor: minorFromDb(quote.source_amount),
    target_minor: minorFromDb(quote.target_amount),
    spread_minor: minorFromDb(quote.spread_amount),
    rate: formatDecimal(parseStored(quote.rate)),
    mid_rate: formatDecimal(parseStored(quote.mid_rate)),
    spread_bps: quote.spread_bps,
    rate_source: quote.rate_source,
    quote_id: quote.id,
  };
}

export async function lockQuote(db: Client, livemode: boolean, id: string): Promise<QuoteRow | undefined> {
  const result = await db.query<QuoteRow>(
    'SELECT * FROM fx_quotes WHERE id = $1 AND livemode = $2 FOR UPDATE',
    [id, livemode],
  );
  return result.rows[0];
}

/** Expired, used, another holder's or another pair's quote: refused. */
export function quoteRefusal(
  quote: QuoteRow,
  pair: Pair,
  holder_id: string | null,
  now: Date,
): DomainError | undefined {
  if (quote.status === 'used')
    return domainError(
      'quote_already_used',
      `Quote ${quote.id} was used by ${quote.conversion_id}.`,
      'quote_id',
    );
  if (quote.expires_at.getTime() <= now.getTime())
    return domainError(
      'quote_expired',
      `Quote ${quote.id} expired at ${quote.expires_at.toISOString()}.`,
      'quote_id',
    );
  if (quote.source_asset !== pair.source || quote.target_asset !== pair.target)
    return domainError(
      'currency_mismatch',
      `Quote ${quote.id} converts ${quote.source_asset} to ${quote.target_asset}, but the wallets hold ${pair.source} and ${pair.target}.`,
      'quote_id',
    );
  if (quote.holder_id !== null && quote.holder_id !== holder_id)
    return domainError('quote_holder_mismatch', `Quote ${quote.id} was made for another holder.`, 'quote_id');
  return undefined;
}

export interface ConversionRow extends PricedRow {
  id: string;
  livemode: boolean;
  kind: 'conversion' | 'transfer' | 'payout';
  status: 'succeeded' | 'reversed';
  holder_id: string | null;
  quote_id: string | null;
  source_wallet_id: string;
  target_wallet_id: string | null;
  ledger_transaction_id: string;
  description: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  reversed_at: Date | null;
}

async function insertConversion(
  ctx: RailContext,
  made: ConversionMade,
  terms: Terms,
  transaction_id: string,
): Promise<ConversionRow> {
  const result = await ctx.db.query<ConversionRow>(
    `INSERT INTO conversions (id, livemode, kind, status, holder_id, quote_id, source_wallet_id, target_wallet_id,
       source_asset, target_asset, source_amount, target_amount, spread_amount, rate, mid_rate, spread_bps,
       rate_source, ledger_transaction_id, description, metadata, created_at)
     VALUES ($1, $2, $3, 'succeeded', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
     RETURNING *`,
    [
      made.id,
      ctx.livemode,
      made.kind,
      made.holder_id,
      terms.quote_id,
      made.source_wallet_id,
      made.target_wallet_id,
      terms.pair.source,
      terms.pair.target,
      terms.source_minor.toString(),
      terms.target_minor.toString(),
      terms.spread_minor.toString(),
      terms.rate,
      terms.mid_rate,
      terms.spread_bps,
      terms.rate_source,
      transaction_id,
      made.description,
      made.metadata,
      ctx.now,
    ],
  );
  const row = result.rows[0];
  assert(row !== undefined, 'INSERT ... RETURNING gives the conversion');
  return row;
}

export interface ConversionView {
  readonly id: string;
  readonly object: 'conversion';
  readonly livemode: boolean;
  readonly kind: 'conversion' | 'transfer' | 'payout';
  readonly status: 'succeeded' | 'reversed';
  readonly holder_id: string | null;
  readonly quote_id: string | null;
  readonly source_wallet_id: string;
  readonly target_wallet_id: string | null;
  readonly source_currency: string;
  readonly target_currency: string;
  readonly source_amount: string;
  readonly target_amount: string;
  readonly rate: string;
  readonly mid_rate: string;
  readonly spread_bps: number;
  readonly spread_amount: string;
  readonly rate_source: string;
  readonly ledger_transaction_id: string;
  readonly description: string | null;
  readonly metadata: Record<string, string>;
  readonly created_at: string;
  readonly reversed_at: string | null;
}

function conversionView(row: ConversionRow, pair: Pair): ConversionView {
  return {
    id: row.id,
    object: 'conversion',
    livemode: row.livemode,
    kind: row.kind,
    status: row.status,
    holder_id: row.holder_id,
    quote_id: row.quote_id,
    source_wallet_id: row.source_wallet_id,
    target_wallet_id: row.target_wallet_id,
    ...pricedView(row, pair),
    ledger_transaction_id: row.ledger_transaction_id,
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    reversed_at: row.reversed_at?.toISOString() ?? null,
  };
}

/**
 * Marks a payout's conversion undone (its payout failed or came back, and the entry that returned
 * the money reversed it at the same terms) and announces it; the FX report leaves it out.
 */
export async function markReversed(db: Client, id: string, now: Date): Promise<void> {
  const result = await db.query<ConversionRow>(
    `UPDATE conversions SET status = 'reversed', reversed_at = $2 WHERE id = $1 AND status = 'succeeded' RETURNING *`,
    [id, now],
  );
  const row = result.rows[0];
  assert(row !== undefined, 'a payout reverses its conversion once');
  await recordEvents(db, [eventOf('conversion.reversed', await viewOfRow(db, row))], now);
}

async function viewOfRow(db: Queryable, row: ConversionRow): Promise<ConversionView> {
  const pair = await pairOf(db, row.livemode, row.source_asset, row.target_asset, {
    source: 'id',
    target: 'id',
  });
  assert(pair.ok, 'a stored conversion names two assets');
  return conversionView(row, pair.value);
}

export async function getConversion(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<ConversionView>> {
  const result = await db.query<ConversionRow>('SELECT * FROM conversions WHERE id = $1 AND livemode = $2', [
    id,
    livemode,
  ]);
  const row = result.rows[0];
  return row === undefined ? fail(notFound('conversion', id)) : ok(await viewOfRow(db, row));
}

export async function listConversions(
  db: Queryable,
  livemode: boolean,
  filter: Static<typeof ConversionListQuery>,
): Promise<Result<Page<ConversionView>>> {
  const filters = new Filters(livemode).equals('holder_id', filter.holder_id);
  filters.add((p) => `(source_wallet_id = ${p} OR target_wallet_id = ${p})`, filter.wallet_id);
  const rows = await fetchPage(
    db,
    {
      table: 'conversions',
      where: filters.where,
      params: filters.params,
      id_prefix: 'cnv',
      map: (row: ConversionRow) => row,
    },
    pageQuery(filter),
  );
  if (!rows.ok) return rows;
  const data: ConversionView[] = [];
  for (const row of rows.value.data) data.push(await viewOfRow(db, row));
  return ok({ ...rows.value, data });
}
