import type { Static } from '@sinclair/typebox';
import { pageWithScale, viewById } from '../assets/scaled-views.js';
import { assetScale } from '../assets/service.js';
import type { Client, Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { eventOf, recordEvents, recordRowEvents } from '../events/index.js';
import { enqueueJobs } from '../jobs/queue.js';
import { systemAccountId } from '../ledger/accounts.js';
import { writeEntries } from '../ledger/write.js';
import { type PaymentRow, paymentParts } from '../payments/view.js';
import { clearingAccount, type RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { formatAmount, minorFromDb, parseAmount } from '../shared/money.js';
import { type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { TransferRow } from '../transfers/view.js';
import type { CreateRefundBody, RefundListQuery } from './schemas.js';
import { checkCoverWallet, type Holding, planTakeBack } from './take-back.js';
import { type RefundRow, type RefundView, refundView } from './view.js';

export type CreateRefundInput = Static<typeof CreateRefundBody>;
export const refund_update_job = 'refund.rail_update';

/** What is being refunded, reduced to what the refund needs, whichever kind it is. */
export interface Refundable {
  readonly kind: 'payment' | 'transfer';
  readonly id: string;
  readonly asset: string;
  readonly total_minor: bigint;
  readonly refunded_minor: bigint;
  readonly holdings: Holding[];
  /** Where the money goes back to: the rail's clearing account or the transfer's source wallet. */
  readonly to: string;
  /** Unsettled payment funds are still pending: a refund releases them. */
  readonly pending: boolean;
  /** A bank refund waits for the rail; cards, crypto and transfers are done at once. */
  readonly waits_for_rail: boolean;
}

/**
 * Refunds all or part of a payment or a posted transfer, never beyond what remains: the original
 * row is locked, so concurrent refunds queue and each sees what the one before left. Each account
 * that received money gives back its share (see `planTakeBack`), in one ledger entry.
 */
export async function createRefund(ctx: RailContext, input: CreateRefundInput): Promise<Result<RefundView>> {
  const { db, livemode, now } = ctx;
  if ((input.payment_id === undefined) === (input.transfer_id === undefined))
    return fail(domainError('invalid_request', 'Give either payment_id or transfer_id.', 'payment_id'));
  const target = await lockRefundable(ctx, input);
  if (!target.ok) return target;
  const original = target.value;
  const scale = await assetScale(db, livemode, original.asset, 'currency');
  if (!scale.ok) return scale;
  const remaining = original.total_minor - original.refunded_minor;
  const amount =
    input.amount === undefined ? ok(remaining) : parseAmount(input.amount, scale.value, 'amount');
  if (!amount.ok) return amount;
  if (remaining === 0n || amount.value > remaining)
    return fail(
      domainError(
        'refund_exceeds_remaining',
        `Only ${formatAmount(remaining, scale.value)} ${original.asset} of ${original.id} is left to refund.`,
        'amount',
      ),
    );
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const cover = await checkCoverWallet(db, livemode, input.cover_wallet_id, original.asset);
  if (!cover.ok) return cover;
  const plan = await planTakeBack(db, original.holdings, amount.value, original.to, {
    pending: original.pending,
    cover_wallet_id: cover.value,
  });
  const id = newId('refund', now.getTime());
  const [outcome] = await writeEntries(
    db,
    [{ livemode, reason: 'refund', reference_id: id, movements: plan.movements }],
    now,
  );
  assert(outcome !== undefined, 'one entry, one outcome');
  if (!outcome.ok) return fail(outcome.error);
  await recordRefunded(db, livemode, original, amount.value, plan.shares);
  const row = await insertRefund(db, {
    id,
    livemode,
    status: original.waits_for_rail ? 'pending' : 'succeeded',
    payment_id: original.kind === 'payment' ? original.id : null,
    transfer_id: original.kind === 'transfer' ? original.id : null,
    asset: original.asset,
    amount: amount.value.toString(),
    parts: plan.parts,
    reason: input.reason ?? null,
    failure_code: null,
    description: input.description ?? null,
    metadata: metadata.value,
    created_at: now,
    updated_at: now,
  });
  if (original.waits_for_rail)
    await enqueueJobs(
      db,
      [
        {
          kind: refund_update_job,
          dedupe_key: `refund:${id}:succeeded`,
          payload: { refund_id: id },
          run_at: new Date(now.getTime() + ctx.rails.sandbox_step_ms),
        },
      ],
      now,
    );
  const view = refundView(row, scale.value);
  const events = [eventOf('refund.created', view)];
  if (view.status === 'succeeded') events.push(eventOf('refund.succeeded', view));
  await recordEvents(db, events, now);
  return ok(view);
}

async function lockRefundable(ctx: RailContext, input: CreateRefundInput): Promise<Result<Refundable>> {
  const found = await readRefundable(ctx.db, ctx.livemode, input, { for_update: true });
  if (!found.ok) return found;
  return found.value.refusal === undefined ? found : fail(found.value.refusal);
}

/**
 * The payment or transfer a refund names, with what each of its parts received and still holds;
 * `refusal` says why it cannot be refunded (not succeeded, a pending hold), as the access checks
 * read it too (guard/movements-of.ts), to screen every wallet a refund would take money from.
 */
export async function readRefundable(
  db: Queryable,
  livemode: boolean,
  input: { payment_id?: string; transfer_id?: string },
  options: { readonly for_update: boolean },
): Promise<Result<Refundable & { readonly refusal: DomainError | undefined }>> {
  if (input.payment_id !== undefined) {
    const row = await rowById<PaymentRow>(db, 'payments', livemode, input.payment_id, options);
    if (row === undefined) return fail(notFound('payment', input.payment_id, 'payment_id'));
    return ok({
      kind: 'payment',
      id: row.id,
      asset: row.asset,
      total_minor: minorFromDb(row.amount),
      refunded_minor: minorFromDb(row.refunded_amount),
      holdings: holdingsOf(paymentParts(row), row.refunded_parts),
      to: systemAccountId(livemode, row.asset, clearingAccount(row.rail)),
      pending: row.settled_at === null,
      waits_for_rail: row.rail === 'bank_account',
      refusal:
        row.status === 'succeeded'
          ? undefined
          : domainError(
              'not_refundable',
              `Payment ${row.id} is ${row.status}; only a succeeded payment can be refunded.`,
              'payment_id',
            ),
    });
  }
  const transfer_id = input.transfer_id ?? '';
  const row = await rowById<TransferRow & { refunded_amount: string; refunded_parts: string[] }>(
    db,
    'transfers',
    livemode,
    transfer_id,
    options,
  );
  if (row === undefined) return fail(notFound('transfer', transfer_id, 'transfer_id'));
  const parts = row.destinations.map((leg) => ({
    account_id: leg.wallet_id,
    amount_minor: minorFromDb(leg.amount_minor),
  }));
  if (row.fee_account_id !== null)
    parts.unshift({ account_id: row.fee_account_id, amount_minor: minorFromDb(row.fee_amount) });
  return ok({
    kind: 'transfer',
    id: row.id,
    asset: row.asset,
    total_minor: minorFromDb(row.captured_amount ?? row.amount),
    refunded_minor: minorFromDb(row.refunded_amount),
    holdings: holdingsOf(parts, row.refunded_parts),
    to: row.source_wallet_id,
    pending: false,
    waits_for_rail: false,
    refusal: transferRefusal(row),
  });
}

/**
 * Only a posted transfer is refunded. One that converted on its way is not: its payee holds
 * another currency, and giving it back is a new transfer, priced by a new quote (docs/fx.md).
 */
function transferRefusal(row: TransferRow): DomainError | undefined {
  if (row.status !== 'posted')
    return domainError(
      'not_refundable',
      `Transfer ${row.id} is ${row.status}; void a pending hold instead.`,
      'transfer_id',
    );
  if (row.conversion_id !== null && row.conversion_id !== undefined)
    return domainError(
      'not_refundable',
      `Transfer ${row.id} converted on its way (${row.conversion_id}): send the money back with a new transfer and quote.`,
      'transfer_id',
    );
  return undefined;
}

function holdingsOf(
  parts: readonly { account_id: string; amount_minor: bigint }[],
  refunded: readonly string[],
): Holding[] {
  return parts.map((part, index) => ({
    account_id: part.account_id,
    received_minor: part.amount_minor,
    remaining_minor: part.amount_minor - minorFromDb(refunded[index] ?? '0'),
  }));
}

/** Adds the refund to the original's totals, per part too, so later refunds share what is left. */
async function recordRefunded(
  db: Client,
  livemode: boolean,
  original: Refundable,
  amount_minor: bigint,
  shares: readonly bigint[],
): Promise<void> {
  const refunded_parts = original.holdings.map((holding, index) =>
    (holding.received_minor - holding.remaining_minor + (shares[index] ?? 0n)).toString(),
  );
  const table = original.kind === 'payment' ? 'payments' : 'transfers';
  await db.query(
    `UPDATE ${table} SET refunded_amount = refunded_amount + $2, refunded_parts = $3 WHERE livemode = $4 AND id = $1`,
    [original.id, amount_minor.toString(), JSON.stringify(refunded_parts), livemode],
  );
}

async function insertRefund(db: Queryable, row: RefundRow): Promise<RefundRow> {
  const result = await db.query<RefundRow>(
    `INSERT INTO refunds (id, livemode, status, payment_id, transfer_id, asset, amount, parts, reason, failure_code,
       description, metadata, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
    [
      row.id,
      row.livemode,
      row.status,
      row.payment_id,
      row.transfer_id,
      row.asset,
      row.amount,
      JSON.stringify(row.parts),
      row.reason,
      row.failure_code,
      row.description,
      row.metadata,
      row.created_at,
      row.updated_at,
    ],
  );
  assert(result.rows[0] !== undefined, 'inserted refund');
  return result.rows[0];
}

/**
 * The rail could not return a pending refund: every account gets back what it gave (pending funds
 * become pending again), and the payment may be refunded again by that amount. Under the refund's
 * and the payment's row locks, so it happens once.
 */
export async function failRefund(
  db: Client,
  livemode: boolean,
  id: string,
  failure_code: string,
  now: Date,
): Promise<Result<RefundView>> {
  const refund = await rowById<RefundRow>(db, 'refunds', livemode, id, { for_update: true });
  if (refund === undefined) return fail(notFound('refund', id));
  if (refund.status !== 'pending' || refund.payment_id === null)
    return fail(
      domainError('invalid_state', `Refund ${id} is ${refund.status}; only a pending refund can fail.`),
    );
  const payment = await db.query<PaymentRow>('SELECT * FROM payments WHERE id = $1 FOR UPDATE', [
    refund.payment_id,
  ]);
  const row = payment.rows[0];
  assert(row !== undefined, 'a payment refund has its payment');
  const clearing = systemAccountId(livemode, row.asset, clearingAccount(row.rail));
  const movements = refund.parts.map((part) => ({
    from: clearing,
    to: part.covered_by ?? part.account_id,
    amount_minor: minorFromDb(part.amount_minor),
    layer: part.pending ? ('pending' as const) : ('posted' as const),
  }));
  const [outcome] = await writeEntries(
    db,
    [{ livemode, reason: 'refund.failed', reference_id: id, movements }],
    now,
  );
  assert(outcome !== undefined, 'one entry, one outcome');
  if (!outcome.ok) return fail(outcome.error);
  const refunded_parts = [...row.refunded_parts];
  for (const part of refund.parts)
    refunded_parts[part.holding_index] = (
      minorFromDb(refunded_parts[part.holding_index] ?? '0') - minorFromDb(part.amount_minor)
    ).toString();
  await db.query(
    'UPDATE payments SET refunded_amount = refunded_amount - $2, refunded_parts = $3 WHERE id = $1',
    [row.id, refund.amount, JSON.stringify(refunded_parts)],
  );
  const failed = await db.query<RefundRow>(
    `UPDATE refunds SET status = 'failed', failure_code = $2, updated_at = $3 WHERE id = $1 RETURNING *`,
    [id, failure_code, now],
  );
  await recordRowEvents(db, failed.rows, refundView, () => 'refund.failed', now);
  return getRefund(db, livemode, id);
}

/** The rail confirmed a pending refund. Repeated confirmations change nothing. */
export async function completeRefund(
  db: Client,
  livemode: boolean,
  id: string,
  now: Date,
): Promise<Result<RefundView>> {
  const confirmed = await db.query<RefundRow>(
    `UPDATE refunds SET status = 'succeeded', updated_at = $3 WHERE id = $1 AND livemode = $2 AND status = 'pending' RETURNING *`,
    [id, livemode, now],
  );
  await recordRowEvents(db, confirmed.rows, refundView, () => 'refund.succeeded', now);
  return getRefund(db, livemode, id);
}

export function getRefund(db: Queryable, livemode: boolean, id: string): Promise<Result<RefundView>> {
  return viewById(db, livemode, { table: 'refunds', what: 'refund' }, id, refundView);
}

export async function listRefunds(
  db: Queryable,
  livemode: boolean,
  filter: Static<typeof RefundListQuery>,
): Promise<Result<Page<RefundView>>> {
  const { where, params } = new Filters(livemode)
    .equals('payment_id', filter.payment_id)
    .equals('transfer_id', filter.transfer_id);
  return pageWithScale(
    db,
    livemode,
    { table: 'refunds', where, params, id_prefix: 're' },
    pageQuery(filter),
    refundView,
  );
}
