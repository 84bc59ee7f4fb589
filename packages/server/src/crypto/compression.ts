import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Compression of a sealed value's plaintext, before it is encrypted: ciphertext does not compress,
 * so PostgreSQL's own TOAST compression can do nothing for a sealed column. Used where the bytes
 * add up (an event per change, an idempotency record per request); docs/decisions.md, "Bytes per
 * transfer (issue 21)", has the numbers.
 *
 * `z1` is raw deflate with `z1_dictionary` preset: most of an event's payload is the field names
 * and fixed values of an API object, which the dictionary holds, so a transfer's view of 516 bytes
 * deflates to about 120 instead of 316. A value records the encoding it was written with, and
 * opening it needs the very same dictionary: `z1_dictionary` must never change (its test pins its
 * SHA-256). Better dictionaries come as a new encoding (`z2`), opened alongside.
 */
export const sealed_encodings = ['z1'] as const;
export type SealedEncoding = (typeof sealed_encodings)[number];

/** Field names and values the API's money objects share, most common last (deflate favours near matches). */
const z1_dictionary = Buffer.from(
  [
    '"description":null,"metadata":{},"failure_code":null,"failure_message":null,"payment_method":',
    '"refunded_amount":"0.00","status":"succeeded","object":"payment","wallet_id":"wal_',
    '{"object":"transfer_batch","atomic":false,"succeeded":100,"failed":0,"results":[{"index":0,"status":201,"transfer":',
    '{"id":"tr_","object":"transfer","livemode":false,"status":"posted","source_wallet_id":"wal_',
    '","amount":"0.00","currency":"USD","captured_amount":null,"fee":{"amount":"0.00","account_id":"wal_',
    '"},"destinations":[{"wallet_id":"wal_","amount":"0.00"}],"hold":false,"expires_at":null,',
    '"conversion_id":null,"description":null,"metadata":{},"created_at":"2026-01-01T00:00:00.000Z",',
    '"updated_at":"2026-01-01T00:00:00.000Z"}',
  ].join(''),
  'utf8',
);

/** An opened value never inflates past this: a bound on memory, even for a value we wrote. */
const inflated_bytes_max = 64 * 1024 * 1024;

export function compress(encoding: SealedEncoding, plaintext: Buffer): Buffer {
  return deflateRawSync(plaintext, { dictionary: dictionaryOf(encoding) });
}

export function decompress(encoding: SealedEncoding, compressed: Buffer): Buffer {
  return inflateRawSync(compressed, {
    dictionary: dictionaryOf(encoding),
    maxOutputLength: inflated_bytes_max,
  });
}

export function isSealedEncoding(value: string): value is SealedEncoding {
  return (sealed_encodings as readonly string[]).includes(value);
}

/** The dictionary's bytes, for the test that pins them. */
export function dictionaryOf(encoding: SealedEncoding): Buffer {
  switch (encoding) {
    case 'z1':
      return z1_dictionary;
  }
}
