import { type Static, Type } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import { openNullable, seal } from '../crypto/keyring.js';
import { detokenizeInstrument } from '../crypto/tokens.js';
import type { Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { eventOf, recordEvents, recordRowEvents } from '../events/index.js';
import { Timestamp } from '../http/schemas.js';
import type { RailContext } from '../rails/index.js';
import { buildPain001, credit_transfers_per_file_max } from '../rails/iso20022/index.js';
import type { CreditTransfer } from '../rails/iso20022/types.js';
import type { PayoutDestination } from '../rails/rail.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import { attr, inSpanSync } from '../tracing/spans.js';
import { type PayoutRow, payoutView } from './view.js';

export const PayoutFile = Type.Object(
  {
    id: Type.String({ examples: ['pof_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('payout_file'),
    livemode: Type.Boolean(),
    currency: Type.String({ examples: ['EUR'] }),
    format: Type.Literal('pain.001.001.09'),
    message_id: Type.String(),
    payout_count: Type.Integer({ examples: [2] }),
    total_amount: Type.String({ examples: ['370.00'] }),
    created_at: Timestamp,
  },
  { $id: 'PayoutFile' },
);

export type PayoutFileView = Static<typeof PayoutFile>;

interface FileRow {
  id: string;
  livemode: boolean;
  asset: string;
  message_id: string;
  payout_count: number;
  total_amount: string;
  xml: string;
  created_at: Date;
}

function fileView(row: FileRow, scale: number): PayoutFileView {
  return {
    id: row.id,
    object: 'payout_file',
    livemode: row.livemode,
    currency: row.asset,
    format: 'pain.001.001.09',
    message_id: row.message_id,
    payout_count: row.payout_count,
    total_amount: formatAmount(minorFromDb(row.total_amount), scale),
    created_at: row.created_at.toISOString(),
  };
}

/**
 * Gathers every pending bank-file payout in a currency into one ISO 20022 pain.001 credit-transfer
 * file for the platform's bank, and marks them in transit. The payouts are locked (SKIP LOCKED), so
 * two calls at once never put one payout in two files.
 */
export async function createPayoutFile(ctx: RailContext, currency: string): Promise<Result<PayoutFileView>> {
  const { db, livemode, now } = ctx;
  const debtor = ctx.rails.bank_debtor;
  if (debtor === undefined)
    return fail(
      domainError(
        'rail_unavailable',
        'No bank account is configured to pay out from (PURSE_BANK_DEBTOR_IBAN).',
        'currency',
      ),
    );
  const scale = await assetScale(db, livemode, currency, 'currency');
  if (!scale.ok) return scale;
  const pending = await db.query<PayoutRow>(
    `SELECT * FROM payouts WHERE rail = 'bank_file' AND status = 'pending' AND livemode = $1 AND asset = $2
     ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
    [livemode, currency, credit_transfers_per_file_max],
  );
  if (pending.rows.length === 0)
    return fail(
      domainError('invalid_state', `No pending bank payouts in ${currency} to put in a file.`, 'currency'),
    );
  const id = newId('payout_file', now.getTime());
  const payouts = await Promise.all(pending.rows.map((row) => creditTransfer(db, row, scale.value)));
  const xml = inSpanSync('rail.bank_file.build', bankFileSpan(livemode, payouts.length), () =>
    buildPain001({
      message_id: id,
      created_at: now,
      requested_execution_date: now.toISOString().slice(0, 10),
      initiating_party_name: debtor.name,
      debtor: { name: debtor.name, account: { iban: debtor.iban }, agent: { bic: debtor.bic } },
      payouts,
    }),
  );
  if (!xml.ok) return fail({ ...xml.error, code: 'invalid_request' });
  const total = pending.rows.reduce((sum, row) => sum + minorFromDb(row.amount), 0n);
  const inserted = await db.query<FileRow>(
    `INSERT INTO payout_files (id, livemode, asset, message_id, payout_count, total_amount, xml, created_at)
     VALUES ($1, $2, $3, $1, $4, $5, $6, $7) RETURNING *`,
    // Sealed: the file names every creditor and their account.
    [id, livemode, currency, pending.rows.length, total.toString(), seal('instrument', xml.value), now],
  );
  const sent = await db.query<PayoutRow>(
    `UPDATE payouts SET status = 'in_transit', file_id = $2, updated_at = $3 WHERE id = ANY($1::text[]) RETURNING *`,
    [pending.rows.map((row) => row.id), id, now],
  );
  assert(inserted.rows[0] !== undefined, 'inserted payout file');
  const view = fileView(inserted.rows[0], scale.value);
  await recordRowEvents(db, sent.rows, payoutView, () => 'payout.in_transit', now);
  await recordEvents(db, [eventOf('payout_file.created', view)], now);
  return ok(view);
}

function bankFileSpan(livemode: boolean, payouts: number) {
  return { attributes: { [attr.rail]: 'bank_file', [attr.livemode]: livemode, [attr.payouts]: payouts } };
}

/** One payout's transfer in the file: the account detokenized here, where the bank needs it. */
async function creditTransfer(db: Queryable, row: PayoutRow, scale: number): Promise<CreditTransfer> {
  const destination = (await detokenizeInstrument(db, row.livemode, row.destination)) as Extract<
    PayoutDestination,
    { type: 'bank_account' }
  >;
  const account =
    destination.iban !== undefined
      ? { iban: destination.iban }
      : { other_id: destination.account_number ?? '' };
  const agent =
    destination.bic !== undefined
      ? { bic: destination.bic }
      : destination.routing_number !== undefined
        ? { clearing_system_code: 'USABA', member_id: destination.routing_number }
        : undefined;
  return {
    payout_id: row.id,
    amount: formatAmount(minorFromDb(row.amount), scale),
    currency: row.asset,
    creditor: { name: destination.account_holder_name, account, ...(agent === undefined ? {} : { agent }) },
    ...(row.description === null ? {} : { remittance_information: row.description }),
  };
}

async function fileRow(db: Queryable, livemode: boolean, id: string): Promise<FileRow | undefined> {
  return rowById<FileRow>(db, 'payout_files', livemode, id);
}

export async function getPayoutFile(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<PayoutFileView>> {
  const row = await fileRow(db, livemode, id);
  if (row === undefined) return fail(notFound('payout file', id));
  const scale = await assetScale(db, livemode, row.asset, 'currency');
  return scale.ok ? ok(fileView(row, scale.value)) : scale;
}

/** The file's XML, to hand to the bank. */
export async function payoutFileXml(db: Queryable, livemode: boolean, id: string): Promise<Result<string>> {
  const row = await fileRow(db, livemode, id);
  return row === undefined
    ? fail(notFound('payout file', id))
    : ok(openNullable('instrument', row.xml) ?? '');
}
