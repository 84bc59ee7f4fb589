import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { key_bytes } from './envelope.js';

/**
 * Where the key-encryption key (KEK) comes from: `PURSE_KEK` (base64 of 32 bytes) or
 * `PURSE_KEK_FILE` (a file holding that text). It wraps the data keys and nothing else; it never
 * reaches the database. `PURSE_KEK_PREVIOUS` / `PURSE_KEK_PREVIOUS_FILE` name the one it replaces
 * while data keys are re-wrapped (`purse keys rotate-kek`).
 */
export interface KekSettings {
  readonly value: string | undefined;
  readonly file: string | undefined;
  readonly previous_value: string | undefined;
  readonly previous_file: string | undefined;
}

export type KekErrorCode = 'kek_missing' | 'kek_invalid' | 'kek_mismatch';

/** A KEK that cannot be had: the process refuses to start, naming the code (docs/security.md). */
export class KekError extends Error {
  override readonly name = 'KekError';
  constructor(
    readonly code: KekErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface LoadedKek {
  readonly kek: Buffer;
  readonly previous: Buffer | undefined;
  /** Generated: a new KEK file was written beside the embedded database at this start. */
  readonly source: 'environment' | 'file' | 'generated';
  readonly file: string | undefined;
}

export const generated_kek_file = 'kek';

/**
 * The KEK from the settings. Without one, `embedded_data_dir` (the embedded PostgreSQL's data
 * directory, set only when no database URL was given) gets a KEK file made on first start, like the
 * database itself; a process given a database URL and no KEK refuses to start (`kek_missing`).
 */
export async function loadKek(
  settings: KekSettings,
  embedded_data_dir: string | undefined,
): Promise<LoadedKek> {
  const previous = await optionalKek(settings.previous_value, settings.previous_file, 'PURSE_KEK_PREVIOUS');
  if (settings.value !== undefined)
    return { kek: decodeKek(settings.value, 'PURSE_KEK'), previous, source: 'environment', file: undefined };
  if (settings.file !== undefined)
    return {
      kek: await kekFromFile(settings.file, 'PURSE_KEK_FILE'),
      previous,
      source: 'file',
      file: settings.file,
    };
  if (embedded_data_dir === undefined)
    throw new KekError(
      'kek_missing',
      'no key-encryption key: set PURSE_KEK (base64 of 32 random bytes, e.g. `openssl rand -base64 32`) or PURSE_KEK_FILE',
    );
  const file = path.join(embedded_data_dir, generated_kek_file);
  await mkdir(embedded_data_dir, { recursive: true });
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) return { kek: decodeKek(existing, file), previous, source: 'file', file };
  const kek = randomBytes(key_bytes);
  // Written whole under a private name, then linked into place: two processes starting at once do
  // not each keep their own, and the loser never reads a half-written file; it reads the winner's.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `${kek.toString('base64')}\n`, { mode: 0o600 });
  await chmod(draft, 0o600);
  const linked = await link(draft, file).then(
    () => true,
    () => false,
  );
  await unlink(draft);
  if (!linked) return { kek: await kekFromFile(file, file), previous, source: 'file', file };
  return { kek, previous, source: 'generated', file };
}

/** A fresh random KEK as PURSE_KEK takes it. */
export function newKekText(): string {
  return randomBytes(key_bytes).toString('base64');
}

export function decodeKek(text: string, name: string): Buffer {
  const trimmed = text.trim();
  const kek = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || kek.length !== key_bytes)
    throw new KekError('kek_invalid', `${name} must be the base64 of exactly ${key_bytes} bytes`);
  return kek;
}

async function optionalKek(
  value: string | undefined,
  file: string | undefined,
  name: string,
): Promise<Buffer | undefined> {
  if (value !== undefined) return decodeKek(value, name);
  if (file !== undefined) return kekFromFile(file, `${name}_FILE`);
  return undefined;
}

async function kekFromFile(file: string, name: string): Promise<Buffer> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new KekError('kek_missing', `${name}: cannot read ${file} (${(error as Error).message})`);
  });
  return decodeKek(text, name);
}
