import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/pool.js';
import { newId } from '../shared/ids.js';
import type { SealedEncoding } from './compression.js';
import {
  type DataKey,
  EnvelopeError,
  isSealed,
  kekId,
  key_bytes,
  keyedDigestWith,
  openWith,
  type RecordClass,
  record_classes,
  sealedEncoding,
  sealedKeyId,
  sealWith,
  unwrapKey,
  wrapKey,
} from './envelope.js';
import { KekError } from './kek.js';

/** The encoding `sealCompressed` writes; older ones still open. */
const default_encoding: SealedEncoding = 'z1';

/**
 * The process's keyring: the key-encryption key(s) and every data key it has unwrapped, kept in
 * memory so that sealing and opening cost one AES-GCM call and no query (a list of 100 holders
 * opens 200 values). One per process, like the process's database: `installKek` at start, then
 * `loadDataKeys` against the database, again every few seconds to learn of rotated keys
 * (`startDataKeyRefresh`). Sealing and opening are synchronous, so views stay plain functions.
 */
interface LoadedDataKey extends DataKey {
  readonly active_from_ms: number;
}

interface Keyring {
  readonly kek_id: string;
  readonly keks: ReadonlyMap<string, Buffer>;
  readonly data_keys: Map<string, LoadedDataKey>;
}

let keyring: Keyring | undefined;

/** Sets the KEK that wraps new data keys, and a previous one still accepted while re-wrapping. */
export function installKek(kek: Buffer, previous?: Buffer): void {
  const keks = new Map([[kekId(kek), kek]]);
  if (previous !== undefined) keks.set(kekId(previous), previous);
  // Data keys already unwrapped stay: a KEK rotation changes how they are stored, not what they are.
  keyring = { kek_id: kekId(kek), keks, data_keys: keyring?.data_keys ?? new Map() };
}

export function hasKek(): boolean {
  return keyring !== undefined;
}

function installed(): Keyring {
  if (keyring === undefined) throw new EnvelopeError('no key-encryption key installed in this process');
  return keyring;
}

/** The KEK currently wrapping new data keys, by its public id. */
export function currentKek(): { readonly id: string; readonly kek: Buffer } {
  const ring = installed();
  const kek = ring.keks.get(ring.kek_id);
  if (kek === undefined) throw new EnvelopeError('the current KEK is missing from the keyring');
  return { id: ring.kek_id, kek };
}

/** An installed KEK (the current one or the previous one) by its public id; undefined if neither. */
export function installedKek(id: string): Buffer | undefined {
  return installed().keks.get(id);
}

interface DataKeyRow {
  id: string;
  record_class: RecordClass;
  version: number;
  wrapped_key: string;
  kek_id: string;
  active_from: Date;
}

/**
 * Unwraps every data key of the database not yet in memory, and creates version 1 of any record
 * class that has none. A key the installed KEK(s) cannot unwrap is `kek_mismatch`: the process must
 * not start sealing under new keys beside data it can never open.
 */
export async function loadDataKeys(db: Queryable): Promise<void> {
  const ring = installed();
  const rows = await selectDataKeys(db);
  for (const row of rows) if (!ring.data_keys.has(row.id)) ring.data_keys.set(row.id, unwrapRow(ring, row));
  const missing = record_classes.filter(
    (record_class) => !rows.some((row) => row.record_class === record_class),
  );
  if (missing.length === 0) return;
  for (const record_class of missing) await insertFirstKeys(db, ring, record_class);
  for (const row of await selectDataKeys(db))
    if (!ring.data_keys.has(row.id)) ring.data_keys.set(row.id, unwrapRow(ring, row));
}

async function selectDataKeys(db: Queryable): Promise<DataKeyRow[]> {
  const result = await db.query<DataKeyRow>(
    'SELECT id, record_class, version, wrapped_key, kek_id, active_from FROM data_keys ORDER BY record_class, version',
  );
  return result.rows;
}

function unwrapRow(ring: Keyring, row: DataKeyRow): LoadedDataKey {
  const kek = ring.keks.get(row.kek_id);
  if (kek === undefined)
    throw new KekError(
      'kek_mismatch',
      `data key ${row.id} is wrapped by ${row.kek_id}, but the key-encryption key given is ${ring.kek_id}: start with the KEK the database was made with (PURSE_KEK_PREVIOUS while re-wrapping)`,
    );
  let key: Buffer;
  try {
    key = unwrapKey(kek, row.id, row.wrapped_key);
  } catch {
    throw new KekError('kek_mismatch', `data key ${row.id} does not unwrap under ${row.kek_id}`);
  }
  return {
    id: row.id,
    record_class: row.record_class,
    version: row.version,
    key,
    active_from_ms: row.active_from.getTime(),
  };
}

/**
 * A record class's first keys in this database: the ones this process already holds for the class
 * (the test suite gives every scratch database of a process the same keys), else a new random one.
 * Concurrent starts race on (record_class, version); the loser reads the winner's.
 */
async function insertFirstKeys(db: Queryable, ring: Keyring, record_class: RecordClass): Promise<void> {
  const held = [...ring.data_keys.values()].filter((key) => key.record_class === record_class);
  const keys =
    held.length > 0
      ? held
      : [{ id: newId('data_key'), record_class, version: 1, key: randomBytes(key_bytes), active_from_ms: 0 }];
  const { id: kek_id, kek } = currentKek();
  for (const key of keys)
    await db.query(
      `INSERT INTO data_keys (id, record_class, version, wrapped_key, kek_id, active_from)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [
        key.id,
        record_class,
        key.version,
        wrapKey(kek, key.id, key.key),
        kek_id,
        new Date(key.active_from_ms),
      ],
    );
}

/** Loads new data keys every `interval_ms` (rotations made by another process); returns a stop. */
export function startDataKeyRefresh(
  db: Queryable,
  interval_ms: number,
  onError: (error: unknown) => void,
): () => void {
  const timer = setInterval(() => {
    loadDataKeys(db).catch(onError);
  }, interval_ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** The key that seals a class now: its newest version already active. */
export function sealingKey(record_class: RecordClass, now_ms = Date.now()): DataKey {
  let best: LoadedDataKey | undefined;
  for (const key of installed().data_keys.values())
    if (
      key.record_class === record_class &&
      key.active_from_ms <= now_ms &&
      key.version > (best?.version ?? 0)
    )
      best = key;
  if (best === undefined)
    throw new EnvelopeError(
      `no ${record_class} data key loaded: loadDataKeys has not run against this database`,
    );
  return best;
}

function keyFor(sealed: string): LoadedDataKey {
  const id = sealedKeyId(sealed);
  const key = id === undefined ? undefined : installed().data_keys.get(id);
  if (key === undefined) throw new EnvelopeError(`data key ${id ?? '(none)'} is not loaded in this process`);
  return key;
}

export function seal(record_class: RecordClass, plaintext: string): string {
  return sealWith(sealingKey(record_class), Buffer.from(plaintext, 'utf8'));
}

/**
 * Seals text compressed first (crypto/compression.ts): for values that are large or many, where the
 * bytes stored matter. `open` opens either form.
 */
export function sealCompressed(record_class: RecordClass, plaintext: string): string {
  return sealWith(sealingKey(record_class), Buffer.from(plaintext, 'utf8'), default_encoding);
}

/**
 * The value sealed again under the class's current key, in the form it had (compressed or not),
 * its plaintext bytes unchanged: what a key rotation writes back. Bytes, not text, so a file's
 * binary content survives it.
 */
export function reseal(record_class: RecordClass, sealed: string): string {
  return sealWith(sealingKey(record_class), openBytes(record_class, sealed), sealedEncoding(sealed));
}

export function open(record_class: RecordClass, sealed: string): string {
  return openWith(keyFor(sealed), record_class, sealed).toString('utf8');
}

/** For file contents: bytes in, sealed text out (store it as text). */
export function sealBytes(record_class: RecordClass, plaintext: Buffer): string {
  return sealWith(sealingKey(record_class), plaintext);
}

export function openBytes(record_class: RecordClass, sealed: string): Buffer {
  return openWith(keyFor(sealed), record_class, sealed);
}

/** Seals null as null, so nullable columns stay nullable. */
export function sealNullable(record_class: RecordClass, plaintext: string | null): string | null {
  return plaintext === null ? null : seal(record_class, plaintext);
}

/** Opens a sealed value; a value stored before sealing (plain text) is returned as it is. */
export function openNullable(record_class: RecordClass, stored: string | null): string | null {
  return stored === null || !isSealed(stored) ? stored : open(record_class, stored);
}

export function sealJson(record_class: RecordClass, value: unknown): string {
  return seal(record_class, JSON.stringify(value));
}

/** A JSON value from a column that holds it sealed (a JSON string) or, from before sealing, plain. */
export function openJson<T>(record_class: RecordClass, stored: unknown): T {
  return (isSealed(stored) ? JSON.parse(open(record_class, stored)) : stored) as T;
}

/**
 * A keyed hash for equality lookups (emails, token deduplication): HMAC-SHA-256 under the `lookup`
 * data key, which never rotates (a new one would need every value to hash again); `purpose`
 * separates uses, so one hash cannot be matched against another column's.
 */
export function keyedHash(purpose: string, value: string): string {
  return keyedDigest(purpose, value).toString('base64url');
}

/** keyedHash as bytes, for bytea columns. */
export function keyedDigest(purpose: string, value: string): Buffer {
  let lookup: LoadedDataKey | undefined;
  for (const key of installed().data_keys.values())
    if (key.record_class === 'lookup' && (lookup === undefined || key.version < lookup.version)) lookup = key;
  if (lookup === undefined) throw new EnvelopeError('no lookup data key loaded');
  return keyedDigestWith(lookup.key, purpose, value);
}

/** The data keys held in memory, for rotation (which re-seals what older versions sealed). */
export function loadedDataKeys(): readonly DataKey[] {
  return [...installed().data_keys.values()];
}

/** Adds a key this process just created (a rotation), so it can seal before the next refresh. */
export function rememberDataKey(key: DataKey, active_from: Date): void {
  installed().data_keys.set(key.id, { ...key, active_from_ms: active_from.getTime() });
}
