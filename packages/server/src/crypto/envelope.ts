import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { compress, decompress, isSealedEncoding, type SealedEncoding } from './compression.js';

/**
 * The pure half of envelope encryption: AES-256-GCM from node:crypto, nothing hand-rolled. A sealed
 * value is text, `pse1.<data key id>.<iv>.<ciphertext and tag>` (base64url), so it fits a text or
 * jsonb column in place of what it hides and names the data key that opens it; rotation finds
 * stale rows by that id. The additional authenticated data binds a ciphertext to its record class
 * and its key: a value sealed as one class does not open as another, and a bit flipped anywhere
 * (id, iv, ciphertext, tag) fails to open instead of decrypting to something else.
 *
 * A value whose plaintext was compressed before encryption (crypto/compression.ts) ends with its
 * encoding: `pse1.<data key id>.<iv>.<ciphertext and tag>.z1`. The encoding is authenticated too,
 * so it cannot be removed or changed without the value failing to open; a build older than the
 * encoding refuses the value (four parts) rather than misreading it.
 */

export const key_bytes = 32;
const iv_bytes = 12;
const tag_bytes = 16;
const sealed_prefix = 'pse1.';

/** What a data key protects; each class has its own keys, rotated on its own. */
export const record_classes = ['personal', 'instrument', 'file', 'lookup', 'signing'] as const;
export type RecordClass = (typeof record_classes)[number];

export interface DataKey {
  readonly id: string;
  readonly record_class: RecordClass;
  readonly version: number;
  readonly key: Buffer;
}

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(sealed_prefix);
}

/** The id of the data key a sealed value needs, or undefined if it is not a sealed value. */
export function sealedKeyId(value: string): string | undefined {
  if (!isSealed(value)) return undefined;
  return value.slice(sealed_prefix.length).split('.')[0];
}

/** Seals `plaintext`, compressed first with `encoding` if one is given. */
export function sealWith(data_key: DataKey, plaintext: Buffer, encoding?: SealedEncoding): string {
  const iv = randomBytes(iv_bytes);
  const cipher = createCipheriv('aes-256-gcm', data_key.key, iv, { authTagLength: tag_bytes });
  cipher.setAAD(aad(data_key.record_class, data_key.id, encoding));
  const stored = encoding === undefined ? plaintext : compress(encoding, plaintext);
  const ciphertext = Buffer.concat([cipher.update(stored), cipher.final(), cipher.getAuthTag()]);
  const sealed = `${sealed_prefix}${data_key.id}.${iv.toString('base64url')}.${ciphertext.toString('base64url')}`;
  return encoding === undefined ? sealed : `${sealed}.${encoding}`;
}

/** The encoding a sealed value's plaintext was compressed with; undefined for none. */
export function sealedEncoding(sealed: string): SealedEncoding | undefined {
  const parts = sealed.slice(sealed_prefix.length).split('.');
  const encoding = parts[3];
  return parts.length === 4 && encoding !== undefined && isSealedEncoding(encoding) ? encoding : undefined;
}

/** Opens a value sealed with `data_key` as `record_class` (decompressed); throws EnvelopeError otherwise. */
export function openWith(data_key: DataKey, record_class: RecordClass, sealed: string): Buffer {
  const parts = sealed.slice(sealed_prefix.length).split('.');
  const encoding = sealedEncoding(sealed);
  const parts_expected = encoding === undefined ? 3 : 4;
  if (!isSealed(sealed) || parts.length !== parts_expected || parts[0] !== data_key.id)
    throw new EnvelopeError('not a value sealed with this data key');
  if (data_key.record_class !== record_class)
    throw new EnvelopeError(`a ${data_key.record_class} key cannot open a ${record_class} value`);
  const iv = Buffer.from(parts[1] ?? '', 'base64url');
  const body = Buffer.from(parts[2] ?? '', 'base64url');
  if (iv.length !== iv_bytes || body.length < tag_bytes) throw new EnvelopeError('malformed sealed value');
  const stored = decrypt(data_key.key, iv, body, aad(record_class, data_key.id, encoding));
  return encoding === undefined ? stored : decompress(encoding, stored);
}

/** A data key encrypted under the key-encryption key, bound to its id: `<iv>.<ciphertext and tag>`. */
export function wrapKey(kek: Buffer, key_id: string, key: Buffer): string {
  const iv = randomBytes(iv_bytes);
  const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: tag_bytes });
  cipher.setAAD(Buffer.from(`purse:data-key:${key_id}`));
  const wrapped = Buffer.concat([cipher.update(key), cipher.final(), cipher.getAuthTag()]);
  return `${iv.toString('base64url')}.${wrapped.toString('base64url')}`;
}

export function unwrapKey(kek: Buffer, key_id: string, wrapped: string): Buffer {
  const [iv = '', body = ''] = wrapped.split('.');
  const key = decrypt(
    kek,
    Buffer.from(iv, 'base64url'),
    Buffer.from(body, 'base64url'),
    Buffer.from(`purse:data-key:${key_id}`),
  );
  if (key.length !== key_bytes) throw new EnvelopeError('an unwrapped data key has the wrong length');
  return key;
}

/**
 * A keyed hash (HMAC-SHA-256) for equality lookups on sealed values: the same input gives the
 * same hash under one key, and without the key a hash cannot be tested against guesses (an email
 * or a card number has little entropy, so a plain hash would not protect it).
 */
export function keyedDigestWith(key: Buffer, purpose: string, value: string): Buffer {
  return createHmac('sha256', key).update(`${purpose}\u0000${value}`).digest();
}

/** A short public name for a key-encryption key, stored beside what it wrapped. */
export function kekId(kek: Buffer): string {
  return `kek_${createHmac('sha256', kek).update('purse:kek-id').digest('hex').slice(0, 16)}`;
}

function aad(record_class: RecordClass, key_id: string, encoding: SealedEncoding | undefined): Buffer {
  return Buffer.from(`purse:${record_class}:${key_id}${encoding === undefined ? '' : `:${encoding}`}`);
}

function decrypt(key: Buffer, iv: Buffer, body: Buffer, additional: Buffer): Buffer {
  if (iv.length !== iv_bytes || body.length < tag_bytes) throw new EnvelopeError('malformed ciphertext');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: tag_bytes });
    decipher.setAAD(additional);
    decipher.setAuthTag(body.subarray(body.length - tag_bytes));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - tag_bytes)), decipher.final()]);
  } catch {
    // GCM says only that authentication failed: a wrong key, a wrong class or a tampered value.
    throw new EnvelopeError('the sealed value does not authenticate (wrong key, class or tampered)');
  }
}
