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
