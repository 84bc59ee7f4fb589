import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction, type Pool } from '../db/pool.js';
import { newId } from '../shared/ids.js';
import {
  type DataKey,
  EnvelopeError,
  kekId,
  key_bytes,
  type RecordClass,
  unwrapKey,
  wrapKey,
} from './envelope.js';
import { currentKek, installKek, loadDataKeys, rememberDataKey, reseal } from './keyring.js';
import { type SealedColumn, sealed_columns, sealedText, sealedValue } from './sealed-columns.js';
import { data_key_refresh_ms } from './start.js';

/** The classes `purse keys rotate-data-key` rotates; `lookup` hashes would all have to be redone. */
export const rotatable_classes = ['personal', 'instrument', 'file'] as const satisfies readonly RecordClass[];

/**
 * Long enough for every running process to load a new key (they look every data_key_refresh_ms)
 * before any of them seals with it: no process ever meets a value it cannot open.
 */
export const activation_delay_ms_default = 2 * data_key_refresh_ms;

/** Rows re-sealed per statement, so a rotation never holds many row locks at once. */
const reseal_batch_rows_max = 500;
/** Passes over one column; writes still under an old key after this many are reported, not chased. */
const reseal_passes_max = 1_000;

const rotation_lock_id = 7_270_185_016;

export interface Rotation {
  readonly record_class: RecordClass;
  readonly key_id: string;
  readonly version: number;
  readonly resealed_rows: number;
  /** Rows still sealed under an older version when the passes ran out (0 normally). */
  readonly stale_rows: number;
}

/**
 * Rotates a record class's data key without downtime: a new version, wrapped by the current KEK,
 * that becomes the sealing key after `activation_delay_ms`; older versions stay and still open what
 * they sealed, so reads go on throughout. Then every sealed column of the class is re-sealed under
 * the new key, in small batches, each row only if it did not change meanwhile.
 */
export async function rotateDataKey(
  pool: Pool,
  record_class: RecordClass,
  activation_delay_ms = activation_delay_ms_default,
): Promise<Rotation> {
  if (!(rotatable_classes as readonly string[]).includes(record_class))
    throw new EnvelopeError(`the ${record_class} key does not rotate (its keyed hashes would all change)`);
  const key = await addVersion(pool, record_class, activation_delay_ms);
  await sleep(activation_delay_ms);
  let resealed_rows = 0;
  let stale_rows = 0;
  for (const column of sealed_columns.filter((sealed) => sealed.record_class === record_class)) {
    const outcome = await resealColumn(pool, column, key.id);
    resealed_rows += outcome.resealed;
    stale_rows += outcome.stale;
  }
  return { record_class, key_id: key.id, version: key.version, resealed_rows, stale_rows };
}

async function addVersion(
  pool: Pool,
  record_class: RecordClass,
  activation_delay_ms: number,
): Promise<DataKey> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [rotation_lock_id]);
    const top = await client.query<{ version: number }>(
      'SELECT coalesce(max(version), 0) AS version FROM data_keys WHERE record_class = $1',
      [record_class],
    );
    const key: DataKey = {
      id: newId('data_key'),
      record_class,
      version: (top.rows[0]?.version ?? 0) + 1,
      key: randomBytes(key_bytes),
    };
    const active_from = new Date(Date.now() + activation_delay_ms);
    const kek = currentKek();
    await client.query(
      `INSERT INTO data_keys (id, record_class, version, wrapped_key, kek_id, active_from)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [key.id, record_class, key.version, wrapKey(kek.kek, key.id, key.key), kek.id, active_from],
    );
    rememberDataKey(key, active_from);
    return key;
  });
}

async function resealColumn(
  pool: Pool,
  column: SealedColumn,
  key_id: string,
): Promise<{ resealed: number; stale: number }> {
  const exists = await pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    column.table,
  ]);
  if (exists.rows[0]?.found !== true) return { resealed: 0, stale: 0 };
  const text = sealedText(column);
  const stale_condition = `${text} LIKE 'pse1.%' AND ${text} NOT LIKE $1`;
  const current_prefix = `pse1.${key_id}.%`;
  let resealed = 0;
  for (let pass = 0; pass < reseal_passes_max; pass += 1) {
    const batch = await pool.query<{ row_id: string; sealed: string }>(
      `SELECT ctid::text AS row_id, ${text} AS sealed FROM ${column.table} WHERE ${stale_condition} LIMIT $2`,
      [current_prefix, reseal_batch_rows_max],
    );
    if (batch.rows.length === 0) return { resealed, stale: 0 };
    for (const row of batch.rows) {
      const again = reseal(column.record_class, row.sealed);
      // Compare-and-set: a row a request changed meanwhile is left to the next pass.
      const updated = await pool.query(
        `UPDATE ${column.table} SET ${column.column} = ${sealedValue(column, 1)}
         WHERE ctid = $2::tid AND ${text} = $3`,
        [again, row.row_id, row.sealed],
      );
      resealed += updated.rowCount ?? 0;
    }
  }
  const left = await pool.query<{ count: string }>(
    `SELECT count(*) AS count FROM ${column.table} WHERE ${stale_condition}`,
    [current_prefix],
  );
  return { resealed, stale: Number(left.rows[0]?.count ?? 0) };
}

/**
 * Re-wraps every data key under `new_kek` in one transaction: the data, sealed by the data keys, is
 * not touched. Processes running keep their unwrapped keys; once they run with the new KEK (and
 * this process does from now on), the old one is needed no more.
 */
export async function rotateKek(pool: Pool, new_kek: Buffer): Promise<{ kek_id: string; rewrapped: number }> {
  const kek_id = kekId(new_kek);
  const old = currentKek();
  const rewrapped = await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [rotation_lock_id]);
    const rows = await client.query<{ id: string; wrapped_key: string; kek_id: string }>(
      'SELECT id, wrapped_key, kek_id FROM data_keys ORDER BY id FOR UPDATE',
    );
    for (const row of rows.rows) {
      if (row.kek_id === kek_id) continue;
      if (row.kek_id !== old.id)
        throw new EnvelopeError(`data key ${row.id} is wrapped by ${row.kek_id}, not by the KEK given`);
      const key = unwrapKey(old.kek, row.id, row.wrapped_key);
      await client.query('UPDATE data_keys SET wrapped_key = $2, kek_id = $3 WHERE id = $1', [
        row.id,
        wrapKey(new_kek, row.id, key),
        kek_id,
      ]);
    }
    return rows.rows.filter((row) => row.kek_id !== kek_id).length;
  });
  installKek(new_kek, old.kek);
  await loadDataKeys(pool);
  return { kek_id, rewrapped };
}
