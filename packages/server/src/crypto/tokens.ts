import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { newId } from '../shared/ids.js';
import { keyedHash, openJson, sealJson } from './keyring.js';

/**
 * Tokenization of card and bank account details: the instrument (number, expiry, account holder
 * name, routing...) is sealed in `tokens` under the `instrument` data key, and every other table
 * keeps `{type, token, last4}`. A rail that needs the number (a sandbox decision, a pain.001 file)
 * detokenizes at the point of use. A CVC is never stored, not even sealed.
 */
export type TokenKind = 'card' | 'bank_account';

/** What a table keeps in place of a card or bank instrument (a type, so it fits a JSON record). */
export type TokenizedInstrument = {
  readonly type: TokenKind;
  readonly token: string;
  readonly last4: string;
};

type Instrument = { readonly type: string } & Readonly<Record<string, unknown>>;

export function isTokenized(value: unknown): value is TokenizedInstrument {
  return typeof (value as { token?: unknown } | null)?.token === 'string';
}

/**
 * The instrument as a table may keep it: a card or bank account behind a token (one token per
 * distinct instrument and mode, found again through a keyed hash), anything else (a crypto
 * address, public by nature) as it is.
 */
export async function tokenizeInstrument<T extends Instrument>(
  db: Queryable,
  livemode: boolean,
  instrument: T,
  now: Date,
): Promise<T | TokenizedInstrument> {
  if (instrument.type !== 'card' && instrument.type !== 'bank_account') return instrument;
  const kind: TokenKind = instrument.type;
  const { cvc: _never_stored, ...kept } = instrument as Record<string, unknown>;
  const number = instrumentNumber(kept);
  const canonical = JSON.stringify(
    Object.fromEntries(Object.entries(kept).sort(([a], [b]) => (a < b ? -1 : 1))),
  );
  const value_hash = keyedHash(`token:${kind}`, canonical);
  const last4 = number.slice(-4).toUpperCase();
  const inserted = await db.query<{ id: string }>(
    `INSERT INTO tokens (id, livemode, kind, sealed_value, value_hash, last4, fingerprint, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (livemode, kind, value_hash) DO NOTHING RETURNING id`,
    [
      newId('token', now.getTime()),
      livemode,
      kind,
      sealJson('instrument', kept),
      value_hash,
      last4,
      instrumentFingerprint(kind, number),
      now,
    ],
  );
  const id =
    inserted.rows[0]?.id ??
    (
      await db.query<{ id: string }>(
        'SELECT id FROM tokens WHERE livemode = $1 AND kind = $2 AND value_hash = $3',
        [livemode, kind, value_hash],
      )
    ).rows[0]?.id;
  assert(id !== undefined, 'a token was inserted or found');
  return { type: kind, token: id, last4 };
}

/** The instrument behind a stored value: a token opened, anything else as it is. */
export async function detokenizeInstrument<T extends Instrument>(
  db: Queryable,
  livemode: boolean,
  stored: T | TokenizedInstrument,
): Promise<T> {
  if (!isTokenized(stored)) return stored;
  const found = await db.query<{ sealed_value: string }>(
    'SELECT sealed_value FROM tokens WHERE id = $1 AND livemode = $2',
    [stored.token, livemode],
  );
  const sealed = found.rows[0]?.sealed_value;
  assert(sealed !== undefined, `token ${stored.token} exists in its mode`);
  return openJson<T>('instrument', sealed);
}

/**
 * A public name for a card or account number: the same number gives the same fingerprint, and it
 * cannot be turned back into the number without the lookup key.
 */
export function instrumentFingerprint(kind: TokenKind, number: string): string {
  return keyedHash(`fingerprint:${kind}`, number).slice(0, 16);
}

function instrumentNumber(instrument: Readonly<Record<string, unknown>>): string {
  const number = instrument.number ?? instrument.iban ?? instrument.account_number;
  assert(typeof number === 'string' && number.length >= 4, 'a card or bank instrument has a number');
  return number;
}
