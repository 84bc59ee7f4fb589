import { z } from 'zod';

/**
 * The shapes tool arguments share. They are strict on purpose: an agent that sends a number for an
 * amount, or a wallet id where a payout id belongs, is told at once, before any request is made;
 * the API then checks everything again (scale of the asset, limits, ownership).
 */

const id_length_max = 64;
const description_length_max = 1000;
const idempotency_key_length_max = 255;
const metadata_keys_max = 50;

/** An object id with its prefix: `wal_...`, `apr_...`. */
export function objectId(prefix: string, what: string) {
  return z
    .string()
    .max(id_length_max)
    .regex(new RegExp(`^${prefix}_[0-9a-z]+$`), `must be ${what} id, starting with ${prefix}_`)
    .describe(`The ${what}'s id (${prefix}_...).`);
}

export const wallet_id = objectId('wal', 'wallet');

/** Money never travels as a JSON number: a float cannot hold 0.10 exactly. */
export const amount = z
  .string()
  .max(60)
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a decimal string such as "12.34", not a number')
  .describe(
    'A positive amount as a decimal string in major units, e.g. "12.34" for 12.34 USD; at most as many decimals as the currency has (2 for USD, 0 for JPY).',
  );

export const currency = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{1,15}$/, 'must be an upper-case asset code such as "USD"')
  .describe('The asset code, e.g. "USD", "EUR", "USDC". It must be the wallet\'s currency.');

export const description = z
  .string()
  .min(1)
  .max(description_length_max)
  .describe('What this is for, in words a person reviewing it later will understand.');

export const metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((value) => Object.keys(value).length <= metadata_keys_max, 'at most 50 keys')
  .describe('Up to 50 string pairs of your own, e.g. {"order_id": "6735"}.');

export const idempotency_key = z
  .string()
  .min(1)
  .max(idempotency_key_length_max)
  .describe(
    'Optional. Send the same value again when retrying this exact request (after a timeout, say): it then runs at most once and the retry returns the first answer.',
  );

export const limit = z
  .number()
  .int()
  .min(1)
  .max(100)
  .describe('How many objects to return, 1 to 100 (default 20). Newest first.');

export function startingAfter(prefix: string) {
  return z
    .string()
    .max(id_length_max)
    .regex(new RegExp(`^${prefix}_[0-9a-z]+$`))
    .describe(
      'For the next page: the id of the last object of the previous page (when it said has_more: true).',
    );
}

const card_number = z
  .string()
  .regex(/^[0-9]{12,19}$/)
  .describe('Digits only. In test mode 4242424242424242 succeeds and 4000000000000002 is declined.');
const bank_account_number = z
  .string()
  .regex(/^[0-9]{4,17}$/)
  .describe('Digits only. In test mode 000123456789 succeeds.');
const routing_number = z
  .string()
  .regex(/^[0-9]{9}$/)
  .describe('The 9-digit routing number.');
const network = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,31}$/)
  .describe('The chain: "bitcoin" (BTC) or "ethereum" (ETH, USDC) in the sandbox.');

/** Where a pay-in's money comes from. */
export const payment_source = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('card'), number: card_number }),
    z.strictObject({
      type: z.literal('bank_account'),
      account_number: bank_account_number,
      routing_number,
      account_holder_name: z.string().min(1).max(140).optional(),
    }),
    z.strictObject({
      type: z.literal('crypto'),
      network,
      tx_hash: z
        .string()
        .regex(/^[0-9A-Za-z]{8,128}$/)
        .optional(),
    }),
  ])
  .describe('Where the money comes from: a card, a bank account (debit) or a crypto deposit.');

/** Where a payout's money goes, outside Purse. */
export const payout_destination = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('bank_account'),
      account_holder_name: z.string().min(1).max(70),
      account_number: bank_account_number.optional(),
      routing_number: routing_number.optional(),
      iban: z
        .string()
        .regex(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/)
        .optional(),
      bic: z
        .string()
        .regex(/^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$/)
        .optional(),
    }),
    z.strictObject({ type: z.literal('card'), number: card_number }),
    z.strictObject({
      type: z.literal('crypto'),
      network,
      address: z.string().regex(/^[0-9A-Za-z]{20,128}$/),
    }),
  ])
  .describe(
    'Where the money goes: a bank account (account_number and routing_number, or iban and bic), a card, or a crypto address.',
  );
