import { Type } from '@sinclair/typebox';

/**
 * Amounts on the wire are decimal strings. The schema only says "string"; whether it is a valid
 * amount for its asset (decimals, sign, range) is checked by `parseAmount`, and a JSON number in
 * its place is reported as `invalid_amount` rather than a generic type error (see http/errors.ts).
 */
export const Amount = Type.String({
  maxLength: 60,
  description: "A positive decimal string with at most the asset's scale of decimals.",
  examples: ['12.34'],
  'x-purse-code': 'invalid_amount',
});

export const Currency = Type.String({
  pattern: '^[A-Z][A-Z0-9_]{1,15}$',
  description: 'An asset code.',
  examples: ['USD'],
});

export const WalletId = Type.String({
  minLength: 1,
  maxLength: 64,
  examples: ['wal_01jd0w3n3w8m5t5vq6fz1y2k3h'],
});

/** A share of an amount after the fee, in percent with up to 4 decimals (see ledger/splits.ts). */
export const Percent = Type.String({
  pattern: '^(0|[1-9][0-9]{0,2})(\\.[0-9]{1,4})?$',
  description: 'Of the amount after the fee; up to 4 decimals.',
  examples: ['12.5'],
});
