import type { Static } from '@sinclair/typebox';
import { pageWithScale } from '../assets/scaled-views.js';
import { assetScale } from '../assets/service.js';
import { type ClockScope, real_time, scopeParams, walletInScope } from '../clocks/scope.js';
import { DeferredInserts } from '../db/deferred.js';
import type { Client, Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { eventOf, type NewEvent, recordEvents } from '../events/index.js';
import { lockAccounts } from '../ledger/accounts.js';
import type { WriteContext } from '../ledger/context.js';
import type { Movement } from '../ledger/entries.js';
import { entryOfPosting } from '../ledger/journal.js';
import type { StoredLeg } from '../ledger/legs.js';
import { scaleParts } from '../ledger/splits.js';
import { writeEntries } from '../ledger/write.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { minorFromDb, parseAmount } from '../shared/money.js';
import { type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import {
  accountsNamed,
  type PreparedTransfer,
  prepareTransfer,
  type TransferInput,
  walletAssets,
} from './prepare.js';
import type { TransferListQuery } from './schemas.js';
import { type TransferRow, type TransferView, transferView } from './view.js';

/**
 * Creates many transfers in the caller's transaction with one ledger write: each is refused alone
 * (bad request, insufficient funds, frozen wallet) while the others go through, in order.
 */
export async function createTransfers(
  ctx: WriteContext,
  inputs: readonly TransferInput[],
): Promise<Result<TransferView>[]> {
  const { db, livemode, now } = ctx;
  // The transfers are their own journal entries: their rows go in the statement of their postings,
  // whose trigger finds them there (migration 0045).
  const later = ctx.later ?? new DeferredInserts();
  const accounts = await lockAccounts(db, accountsNamed(livemode, inputs));
  const wallets = walletAssets(accounts, livemode);
  const prepared: Result<PreparedTransfer>[] = [];
  for (const input of inputs) prepared.push(await prepareTransfer(ctx, input, wallets));
  const valid = prepared.flatMap((result, index) => (result.ok ? [{ transfer: result.value, index }] : []));
  const outcomes = await writeEntries(
    db,
    valid.map(({ transfer }) => transfer.entry),
    now,
    accounts,
    later,
  );
  const results: (Result<TransferView> | undefined)[] = prepared.map((result) =>
    result.ok ? undefined : result,
  );
  const written: PreparedTransfer[] = [];
  const events: NewEvent[] = [];
  valid.forEach(({ transfer, index }, position) => {
    const outcome = outcomes[position];
    const input = inputs[index];
    assert(outcome !== undefined && input !== undefined, 'one outcome per entry');
    if (!outcome.ok) {
      results[index] = fail(withParam(outcome.error, input));
      return;
    }
    const view = transferView(transfer.row, transfer.scale);
    written.push(transfer);
    // A transfer posted at once never changes but for its refunds: its event refers to it.
    events.push(
      view.hold
        ? eventOf('transfer.pending', view)
        : { ...eventOf('transfer.posted', view), by_reference: true },
    );
    results[index] = ok(view);
  });
  await insertTransfers(later.queryable, written);
  // In ledger order, so each wallet's events follow the order its balance changed in.
  await recordEvents(later.queryable, events, now);
  if (ctx.later === undefined) await later.flush(db);
  return results.map((result) => {
    assert(result !== undefined, 'every transfer has a result');
    return result;
  });
}

/** Names the request field that holds the wallet a ledger refusal is about. */
function withParam(error: DomainError, input: TransferInput): DomainError {
  if (error.param !== undefined || error.subject === undefined) return error;
  const param = fieldOf(error.subject, input);
  return param === undefined ? error : { ...error, param };
}

function fieldOf(wallet_id: string, input: TransferInput): string | undefined {
  if (wallet_id === input.source_wallet_id) return 'source_wallet_id';
  if (wallet_id === input.destination_wallet_id) return 'destination_wallet_id';
  if (wallet_id === input.fee?.wallet_id) return 'fee.wallet_id';
  const index = input.destinations?.findIndex((leg) => leg.wallet_id === wallet_id) ?? -1;
  return index >= 0 ? `destinations.${index}.wallet_id` : undefined;
}

async function insertTransfers(db: Queryable, transfers: readonly PreparedTransfer[]): Promise<void> {
  if (transfers.length === 0) return;
  const rows = transfers.map((transfer) => transfer.row);
  await db.query(
    `INSERT INTO transfers (id, livemode, status, source_wallet_id, asset, amount, fee_amount, fee_account_id, destinations,
       description, metadata, hold, expires_at, created_at, updated_at, own_entry)
     SELECT id, livemode, status, source_wallet_id, asset, amount, fee_amount, fee_account_id, destinations, description, metadata,
       hold, expires_at, created_at, created_at, true
     FROM unnest($1::text[], $2::boolean[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::text[], $9::jsonb[],
       $10::text[], $11::jsonb[], $12::boolean[], $13::timestamptz[], $14::timestamptz[])
       AS t (id, livemode, status, source_wallet_id, asset, amount, fee_amount, fee_account_id, destinations, description, metadata,
         hold, expires_at, created_at)`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.livemode),
      rows.map((r) => r.status),
      rows.map((r) => r.source_wallet_id),
      rows.map((r) => r.asset),
      rows.map((r) => r.amount),
      rows.map((r) => r.fee_amount),
      rows.map((r) => r.fee_account_id),
      rows.map((r) => JSON.stringify(r.destinations)),
      rows.map((r) => r.description),
      rows.map((r) => JSON.stringify(r.metadata)),
      rows.map((r) => r.hold),
      rows.map((r) => r.expires_at),
      rows.map((r) => r.created_at),
    ],
  );
}

async function lockTransfer(db: Client, livemode: boolean, id: string): Promise<TransferRow | undefined> {
  return rowById<TransferRow>(db, 'transfers', livemode, id, { for_update: true });
}

/** The hold's parts (fee first, then each destination) and which one absorbs rounding on capture. */
function holdParts(row: TransferRow): { accounts: string[]; amounts: bigint[]; absorber: number } {
  const accounts = [row.fee_account_id ?? '', ...row.destinations.map((leg) => leg.wallet_id)];
  const amounts = [minorFromDb(row.fee_amount), ...row.destinations.map((leg) => BigInt(leg.amount_minor))];
  const remainder = row.destinations.findIndex((leg) => leg.request.remainder === true);
  const absorber = 1 + (remainder >= 0 ? remainder : row.destinations.length - 1);
  return { accounts, amounts, absorber };
}

function releaseAll(row: TransferRow): Movement[] {
  const { accounts, amounts } = holdParts(row);
  return amounts.flatMap((amount_minor, index) =>
    amount_minor > 0n
      ? [{ from: row.source_wallet_id, to: accounts[index] ?? '', amount_minor, layer: 'release' as const }]
      : [],
  );
}

/**
 * Captures all or part of a hold: releases the whole reservation and posts the captured amount,
 * the fee and destinations scaled in proportion (rounding to the remainder destination, else the
 * last). The rest returns to the source's available balance.
 */
export async function captureTransfer(
  db: Client,
  livemode: boolean,
  id: string,
  amount: string | undefined,
  now: Date,
): Promise<Result<TransferView>> {
  const row = await lockTransfer(db, livemode, id);
  if (row === undefined) return fail(notFound('transfer', id));
  const pending = checkPending(row, now);
  if (pending !== undefined) return fail(pending);
  const scale = await assetScale(db, livemode, row.asset, 'currency');
  if (!scale.ok) return scale;
  const total = minorFromDb(row.amount);
  let captured = total;
  if (amount !== undefined) {
    const parsed = parseAmount(amount, scale.value, 'amount');
    if (!parsed.ok) return parsed;
    if (parsed.value > total)
      return fail(
        domainError(
          'capture_exceeds_hold',
          `The hold is for ${row.amount} minor units; capture at most that.`,
          'amount',
        ),
      );
    captured = parsed.value;
  }
  const { accounts, amounts, absorber } = holdParts(row);
  const scaled = scaleParts(amounts, total, captured, absorber);
  const posted: Movement[] = scaled.flatMap((amount_minor, index) =>
    amount_minor > 0n
      ? [{ from: row.source_wallet_id, to: accounts[index] ?? '', amount_minor, layer: 'posted' as const }]
      : [],
  );
  const [outcome] = await writeEntries(
    db,
    [{ livemode, reason: 'transfer.captured', reference_id: id, movements: [...releaseAll(row), ...posted] }],
    now,
  );
  assert(outcome !== undefined, 'one entry, one outcome');
  if (!outcome.ok) return fail(outcome.error);
  const destinations: StoredLeg[] = row.destinations.map((leg, index) => ({
    ...leg,
    amount_minor: (scaled[index + 1] ?? 0n).toString(),
  }));
  const updated = await db.query<TransferRow>(
    `UPDATE transfers SET status = 'posted', captured_amount = $2, fee_amount = $3, fee_account_id = CASE WHEN $3::numeric = 0 THEN NULL ELSE fee_account_id END,
       destinations = $4, updated_at = $5 WHERE livemode = $6 AND id = $1 RETURNING *`,
    [id, captured.toString(), (scaled[0] ?? 0n).toString(), JSON.stringify(destinations), now, livemode],
  );
  const view = transferView(mustRow(updated.rows[0]), scale.value);
  await recordEvents(db, [eventOf('transfer.captured', view)], now);
  return ok(view);
}

/** Voids a hold (or expires it, for the worker): releases the whole reservation. */
export async function voidTransfer(
  db: Client,
  livemode: boolean,
  id: string,
  now: Date,
  status: 'voided' | 'expired' = 'voided',
): Promise<Result<TransferView>> {
  const row = await lockTransfer(db, livemode, id);
  if (row === undefined) return fail(notFound('transfer', id));
  if (row.status !== 'pending') return fail(notPending(row));
  const [outcome] = await writeEntries(
    db,
    [{ livemode, reason: `transfer.${status}`, reference_id: id, movements: releaseAll(row) }],
    now,
  );
  assert(outcome?.ok === true, 'releasing a hold cannot be refused');
  const updated = await db.query<TransferRow>(
    'UPDATE transfers SET status = $2, updated_at = $3 WHERE livemode = $4 AND id = $1 RETURNING *',
    [id, status, now, livemode],
  );
  const scale = await assetScale(db, livemode, row.asset, 'currency');
  if (!scale.ok) return scale;
  const view = transferView(mustRow(updated.rows[0]), scale.value);
  await recordEvents(db, [eventOf(`transfer.${status}`, view)], now);
  return ok(view);
}

function checkPending(row: TransferRow, now: Date): DomainError | undefined {
  if (row.status !== 'pending') return notPending(row);
  if (row.expires_at !== null && row.expires_at <= now)
    return domainError('hold_expired', `Hold ${row.id} expired at ${row.expires_at.toISOString()}.`);
  return undefined;
}

function notPending(row: TransferRow): DomainError {
  return domainError('hold_not_pending', `Transfer ${row.id} is ${row.status}, not a pending hold.`);
}

function mustRow(row: TransferRow | undefined): TransferRow {
  assert(row !== undefined, 'updated transfer row');
  return row;
}

/** Voids up to `limit` holds past their expiry; returns how many. Run by the worker. */
export async function expireHolds(
  db: Client,
  now: Date,
  limit: number,
  scope: ClockScope = real_time,
): Promise<number> {
  const due = await db.query<{ id: string; livemode: boolean }>(
    `SELECT id, livemode FROM transfers WHERE status = 'pending' AND expires_at <= $1
       AND ${walletInScope('transfers.source_wallet_id', scope, 3)}
     ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, limit, ...scopeParams(scope)],
  );
  for (const transfer of due.rows) await voidTransfer(db, transfer.livemode, transfer.id, now, 'expired');
  return due.rows.length;
}

export async function getTransfer(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<TransferView>> {
  const row = await rowById<TransferRow>(db, 'transfers', livemode, id);
  if (row === undefined) return fail(notFound('transfer', id));
  const scale = await assetScale(db, livemode, row.asset, 'currency');
  return scale.ok ? ok(transferView(row, scale.value)) : scale;
}

export async function listTransfers(
  db: Queryable,
  livemode: boolean,
  filter: Static<typeof TransferListQuery>,
): Promise<Result<Page<TransferView>>> {
  // A transfer touches a wallet when it posted to it: as source, destination or fee wallet.
  const { where, params } = new Filters(livemode)
    .add(
      (p) =>
        `id IN (SELECT e.reference_id FROM postings p, ${entryOfPosting('$1')}
          WHERE p.account_number = (SELECT number FROM accounts WHERE id = ${p}))`,
      filter.wallet_id,
    )
    .equals('status', filter.status)
    .add((p) => `created_at >= ${p}`, filter.created_gte)
    .add((p) => `created_at < ${p}`, filter.created_lt);
  return pageWithScale(
    db,
    livemode,
    { table: 'transfers', where, params, id_prefix: 'tr' },
    pageQuery(filter),
    transferView,
  );
}
