import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import { walletTime } from '../clocks/scope.js';
import type { Client, Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { eventOf, recordEvents } from '../events/index.js';
import { systemAccountId } from '../ledger/accounts.js';
import type { WriteContext } from '../ledger/context.js';
import { writeEntries } from '../ledger/write.js';
import { assert } from '../shared/assert.js';
import { notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { parseAmount } from '../shared/money.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { EscrowListQuery } from './schemas.js';
import { type CreateEscrowInput, checkWallets, parseAutoAction, parseMilestones } from './terms.js';
import { type EscrowRow, type EscrowView, escrowView } from './view.js';

/**
 * Creates an escrow and funds it at once: one posted ledger entry moves the amount from the payer's
 * wallet into the escrow system account, so the payer's available balance drops now (or the whole
 * request is refused: insufficient_funds, wallet_frozen, wallet_closed, naming payer_wallet_id).
 */
export async function createEscrow(ctx: WriteContext, input: CreateEscrowInput): Promise<Result<EscrowView>> {
  const { db, livemode, limits, now } = ctx;
  const scale = await assetScale(db, livemode, input.currency, 'currency');
  if (!scale.ok) return scale;
  const amount = parseAmount(input.amount, scale.value, 'amount');
  if (!amount.ok) return amount;
  const milestones = parseMilestones(input, amount.value, scale.value);
  if (!milestones.ok) return milestones;
  const auto = parseAutoAction(input, await walletTime(db, livemode, input.payer_wallet_id, now));
  if (!auto.ok) return auto;
  const metadata = checkMetadata(input.metadata ?? {}, limits);
  if (!metadata.ok) return metadata;
  const refusal = await checkWallets(db, livemode, input);
  if (refusal !== undefined) return fail(refusal);
  const id = newId('escrow', now.getTime());
  const escrow_account_id = systemAccountId(livemode, input.currency, 'escrow');
  const [outcome] = await writeEntries(
    db,
    [
      {
        livemode,
        reason: 'escrow.funded',
        reference_id: id,
        movements: [
          { from: input.payer_wallet_id, to: escrow_account_id, amount_minor: amount.value, layer: 'posted' },
        ],
      },
    ],
    now,
  );
  assert(outcome !== undefined, 'one entry, one outcome');
  if (!outcome.ok) return fail({ ...outcome.error, param: 'payer_wallet_id' });
  const inserted = await db.query<EscrowRow>(
    `INSERT INTO escrows (id, livemode, status, payer_wallet_id, payee_wallet_id, escrow_account_id, asset, amount,
       milestones, auto_release_at, auto_refund_at, description, metadata, created_at, updated_at)
     VALUES ($1, $2, 'held', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING *`,
    [
      id,
      livemode,
      input.payer_wallet_id,
      input.payee_wallet_id,
      escrow_account_id,
      input.currency,
      amount.value.toString(),
      JSON.stringify(milestones.value),
      auto.value.auto_release_at,
      auto.value.auto_refund_at,
      input.description ?? null,
      metadata.value,
      now,
    ],
  );
  const row = inserted.rows[0];
  assert(row !== undefined, 'inserted escrow');
  const view = escrowView(row, scale.value);
  await recordEvents(db, [eventOf('escrow.created', view)], now);
  return ok(view);
}

/** The escrow's row, locked for the rest of the caller's transaction: every state change starts here. */
export async function lockEscrow(db: Client, livemode: boolean, id: string): Promise<EscrowRow | undefined> {
  return rowById<EscrowRow>(db, 'escrows', livemode, id, { for_update: true });
}

export async function viewOf(db: Queryable, row: EscrowRow): Promise<Result<EscrowView>> {
  const scale = await assetScale(db, row.livemode, row.asset, 'currency');
  return scale.ok ? ok(escrowView(row, scale.value)) : scale;
}

export async function getEscrow(db: Queryable, livemode: boolean, id: string): Promise<Result<EscrowView>> {
  const row = await rowById<EscrowRow>(db, 'escrows', livemode, id);
  return row === undefined ? fail(notFound('escrow', id)) : viewOf(db, row);
}

export async function listEscrows(
  db: Queryable,
  livemode: boolean,
  filter: Static<typeof EscrowListQuery>,
): Promise<Result<Page<EscrowView>>> {
  const where = ['livemode = $1'];
  const params: unknown[] = [livemode];
  for (const column of ['payer_wallet_id', 'payee_wallet_id', 'status'] as const) {
    const value = filter[column];
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  const page = await fetchPage(
    db,
    { table: 'escrows', where, params, id_prefix: 'esc', map: (row: EscrowRow) => row },
    pageQuery(filter),
  );
  if (!page.ok) return page;
  const data: EscrowView[] = [];
  for (const row of page.value.data) {
    const view = await viewOf(db, row);
    if (!view.ok) return view;
    data.push(view.value);
  }
  return ok({ ...page.value, data });
}
