import { type Static, Type } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { Client, Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { Timestamp } from '../http/schemas.js';
import type { FailureCode } from '../rails/failure-codes.js';
import { parseBankStatement } from '../rails/iso20022/index.js';
import type { ParsedEntry } from '../rails/iso20022/types.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import { attr, inSpanSync } from '../tracing/spans.js';
import { applyPayoutUpdate } from './lifecycle.js';
import type { PayoutRow } from './view.js';

const Outcome = Type.Union(
  [
    Type.Literal('paid'),
    Type.Literal('returned'),
    Type.Literal('failed'),
    Type.Literal('unchanged'),
    Type.Literal('not_final'),
    Type.Literal('unknown_payout'),
    Type.Literal('amount_mismatch'),
  ],
  {
    description:
      'What the import did with the entry: paid, returned (after paid) or failed (returned before it was reported paid); unchanged: the payout had already moved so (a repeated report); not_final: a pending (PDNG) entry, acted on when booked; unknown_payout or amount_mismatch: left for an operator.',
  },
);

export const BankStatement = Type.Object(
  {
    id: Type.String({ examples: ['bst_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('bank_statement'),
    livemode: Type.Boolean(),
    message_id: Type.String(),
    message_type: Type.String({ examples: ['camt.054.001.08'] }),
    entries: Type.Array(
      Type.Object({
        end_to_end_id: Type.String(),
        amount: Type.String({ examples: ['120.00'] }),
        currency: Type.String({ examples: ['EUR'] }),
        kind: Type.Union([Type.Literal('paid'), Type.Literal('returned')]),
        return_reason_code: Type.Union([Type.String({ examples: ['AC04'] }), Type.Null()]),
        outcome: Outcome,
      }),
    ),
    created_at: Timestamp,
  },
  { $id: 'BankStatement' },
);

export const ImportBankStatementBody = Type.Object(
  {
    xml: Type.String({ minLength: 1, description: 'The camt.053 or camt.054 document as the bank sent it.' }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        xml: '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">…</Document>',
      },
    ],
  },
);

type StatementView = Static<typeof BankStatement>;
type EntryOutcome = StatementView['entries'][number];

interface StatementRow {
  id: string;
  livemode: boolean;
  message_id: string;
  message_type: string;
  entries: EntryOutcome[];
  created_at: Date;
}

/** ISO 20022 return reason codes (ExternalReturnReason1Code) as Purse failure codes. */
const return_reasons: Readonly<Record<string, FailureCode>> = {
  AC01: 'invalid_account_number',
  AC04: 'account_closed',
  AC06: 'account_frozen',
  AM04: 'insufficient_funds',
  MD07: 'account_closed',
  RR01: 'no_account',
};

/**
 * Imports a bank's camt.053 statement or camt.054 notification: each booked entry about one of our
 * payouts marks it paid or returned (the money comes back to the wallet), through the same state
 * machine as every rail report. A file is applied once: importing it again (same message id)
 * returns the first import and changes nothing.
 */
export async function importBankStatement(
  db: Client,
  livemode: boolean,
  xml: string,
  now: Date,
): Promise<Result<StatementView>> {
  const parsed = inSpanSync('rail.bank_statement.read', { attributes: { [attr.livemode]: livemode } }, () =>
    parseBankStatement(xml),
  );
  if (!parsed.ok) return fail(domainError('bank_file_invalid', parsed.error.detail, 'xml'));
  const file = parsed.value;
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `bank_statement:${livemode}:${file.message_id}`,
  ]);
  const existing = await db.query<StatementRow>(
    'SELECT * FROM bank_statements WHERE livemode = $1 AND message_id = $2',
    [livemode, file.message_id],
  );
  if (existing.rows[0] !== undefined) return ok(statementView(existing.rows[0]));
  const entries: EntryOutcome[] = [];
  for (const entry of file.entries) {
    entries.push({
      end_to_end_id: entry.end_to_end_id,
      amount: entry.amount,
      currency: entry.currency,
      kind: entry.kind,
      return_reason_code: entry.kind === 'returned' ? (entry.return_reason_code ?? null) : null,
      outcome: await applyEntry(db, livemode, entry, now),
    });
  }
  const inserted = await db.query<StatementRow>(
    `INSERT INTO bank_statements (id, livemode, message_id, message_type, entries, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [
      newId('bank_statement', now.getTime()),
      livemode,
      file.message_id,
      file.message_type,
      JSON.stringify(entries),
      now,
    ],
  );
  assert(inserted.rows[0] !== undefined, 'inserted statement');
  const view = statementView(inserted.rows[0]);
  await recordEvents(db, [eventOf('bank_statement.imported', view)], now);
  return ok(view);
}

async function applyEntry(
  db: Client,
  livemode: boolean,
  entry: ParsedEntry,
  now: Date,
): Promise<EntryOutcome['outcome']> {
  if (entry.status !== 'BOOK') return 'not_final';
  const found = await db.query<PayoutRow>(
    "SELECT * FROM payouts WHERE id = $1 AND livemode = $2 AND rail = 'bank_file'",
    [entry.end_to_end_id, livemode],
  );
  const payout = found.rows[0];
  if (payout === undefined) return 'unknown_payout';
  const scale = await assetScale(db, livemode, payout.asset, 'currency');
  const amount = scale.ok ? parseAmount(entry.amount, scale.value, 'amount') : scale;
  if (!amount.ok || entry.currency !== payout.asset || amount.value.toString() !== payout.amount)
    return 'amount_mismatch';
  const reason = entry.kind === 'returned' ? entry.return_reason_code : undefined;
  const status = entry.kind === 'paid' ? 'paid' : payout.status === 'paid' ? 'returned' : 'failed';
  const update = {
    status,
    failure_code:
      reason === undefined ? 'could_not_process' : (return_reasons[reason] ?? 'could_not_process'),
    failure_message: reason === undefined ? undefined : `The bank returned it: ISO 20022 reason ${reason}.`,
  } as const;
  const before = payout.status;
  const result = await applyPayoutUpdate(db, livemode, payout.id, update, now);
  if (!result.ok && result.error.code === 'invalid_state') return 'unchanged';
  if (!result.ok) throw new Error(`payout ${payout.id}: ${result.error.detail}`);
  return result.value.status === before ? 'unchanged' : status;
}

function statementView(row: StatementRow): StatementView {
  return {
    id: row.id,
    object: 'bank_statement',
    livemode: row.livemode,
    message_id: row.message_id,
    message_type: row.message_type,
    entries: row.entries,
    created_at: row.created_at.toISOString(),
  };
}

export async function getBankStatement(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<StatementView>> {
  const found = await db.query<StatementRow>(
    'SELECT * FROM bank_statements WHERE id = $1 AND livemode = $2',
    [id, livemode],
  );
  const row = found.rows[0];
  return row === undefined ? fail(notFound('bank statement', id)) : ok(statementView(row));
}
