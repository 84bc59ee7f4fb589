import type { Pool } from '../db/pool.js';
import { keyedHash, open, seal } from './keyring.js';
import { type SealedColumn, sealed_columns, sealedText, sealedValue } from './sealed-columns.js';
import { isTokenized, tokenizeInstrument } from './tokens.js';

/**
 * `purse keys seal-existing`, run once after upgrading past migration 0025: rows written before
 * it keep names, emails, payloads and card or bank numbers in plain text until this seals the
 * sealed columns' plain values, gives old holders their email hash, and puts old payout
 * destinations and billing sources behind tokens. Each row is changed only if it did not change
 * meanwhile; running it again finds nothing left.
 */
const instrument_columns = [
  { table: 'payouts', column: 'destination' },
  { table: 'payout_schedules', column: 'destination' },
  { table: 'subscriptions', column: 'source' },
  { table: 'invoices', column: 'source' },
] as const;

const batch_rows_max = 500;
const passes_max = 1_000;

export interface SealedExisting {
  readonly sealed_values: number;
  readonly email_hashes: number;
  readonly tokenized: number;
}

export async function sealExisting(pool: Pool, now: Date): Promise<SealedExisting> {
  let sealed_values = 0;
  for (const column of sealed_columns) sealed_values += await sealPlain(pool, column);
  const email_hashes = await hashEmails(pool);
  let tokenized = 0;
  for (const column of instrument_columns) tokenized += await tokenizePlain(pool, column, now);
  return { sealed_values, email_hashes, tokenized };
}

/** Runs `pass` until it changes nothing (a pass returns how many rows it saw and changed). */
async function untilDone(pass: () => Promise<{ seen: number; changed: number }>): Promise<number> {
  let changed = 0;
  for (let n = 0; n < passes_max; n += 1) {
    const outcome = await pass();
    changed += outcome.changed;
    if (outcome.seen === 0) break;
  }
  return changed;
}

async function sealPlain(pool: Pool, column: SealedColumn): Promise<number> {
  const found = await pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    column.table,
  ]);
  if (found.rows[0]?.found !== true) return 0;
  // The value as text: a text column's own, a json(b) column's JSON (sealed, it opens as that JSON).
  const plain = column.type === 'text' ? column.column : `${column.column}::text`;
  const is_plain = `${column.column} IS NOT NULL AND coalesce(${sealedText(column)}, '') NOT LIKE 'pse1.%'`;
  return untilDone(async () => {
    const batch = await pool.query<{ row_id: string; plain: string }>(
      `SELECT ctid::text AS row_id, ${plain} AS plain FROM ${column.table} WHERE ${is_plain} LIMIT $1`,
      [batch_rows_max],
    );
    let changed = 0;
    for (const row of batch.rows) {
      const updated = await pool.query(
        `UPDATE ${column.table} SET ${column.column} = ${sealedValue(column, 1)} WHERE ctid = $2::tid AND ${plain} = $3`,
        [seal(column.record_class, row.plain), row.row_id, row.plain],
      );
      changed += updated.rowCount ?? 0;
    }
    return { seen: batch.rows.length, changed };
  });
}

async function hashEmails(pool: Pool): Promise<number> {
  return untilDone(async () => {
    const batch = await pool.query<{ id: string; email: string }>(
      `SELECT id, email FROM holders WHERE email IS NOT NULL AND email_hash IS NULL LIMIT $1`,
      [batch_rows_max],
    );
    let changed = 0;
    for (const row of batch.rows) {
      const updated = await pool.query(
        'UPDATE holders SET email_hash = $2 WHERE id = $1 AND email = $3 AND email_hash IS NULL',
        [row.id, keyedHash('holder_email', open('personal', row.email)), row.email],
      );
      changed += updated.rowCount ?? 0;
    }
    return { seen: batch.rows.length, changed };
  });
}

async function tokenizePlain(
  pool: Pool,
  column: (typeof instrument_columns)[number],
  now: Date,
): Promise<number> {
  const has_number = `(${column.column} ? 'number' OR ${column.column} ? 'account_number' OR ${column.column} ? 'iban')`;
  return untilDone(async () => {
    const batch = await pool.query<{ id: string; livemode: boolean; value: { type: string } }>(
      `SELECT id, livemode, ${column.column} AS value FROM ${column.table}
       WHERE ${column.column} IS NOT NULL AND ${has_number} LIMIT $1`,
      [batch_rows_max],
    );
    let changed = 0;
    for (const row of batch.rows) {
      const stored = await tokenizeInstrument(pool, row.livemode, row.value, now);
      if (!isTokenized(stored)) continue;
      const updated = await pool.query(
        `UPDATE ${column.table} SET ${column.column} = $2 WHERE id = $1 AND ${column.column} = $3::jsonb`,
        [row.id, stored, JSON.stringify(row.value)],
      );
      changed += updated.rowCount ?? 0;
    }
    return { seen: batch.rows.length, changed };
  });
}
