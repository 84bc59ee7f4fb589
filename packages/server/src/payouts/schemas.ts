import { Type } from '@sinclair/typebox';
import { Amount, Currency } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';
import { MaskedInstrument, PayoutDestinationSchema } from '../rails/schemas.js';

export const batch_payouts_max = 1000;

const PayoutStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('in_transit'),
  Type.Literal('paid'),
  Type.Literal('failed'),
  Type.Literal('returned'),
  Type.Literal('canceled'),
]);

export const CreatePayoutBody = Type.Object(
  {
    wallet_id: Type.String({ minLength: 1, maxLength: 64, examples: ['wal_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    amount: Amount,
    currency: Currency,
    destination: PayoutDestinationSchema,
    quote_id: Type.Optional(
      Type.String({
        maxLength: 64,
        description:
          "Converts on the way (docs/fx.md): the wallet pays the quote's source_amount, and amount and currency are the quote's target side, what the destination receives.",
      }),
    ),
    description: Type.Optional(
      Type.String({ maxLength: 140, description: 'Sent to the bank as remittance text.' }),
    ),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
        amount: '250.00',
        currency: 'USD',
        destination: {
          type: 'bank_account',
          account_holder_name: 'Ada Lovelace',
          account_number: '000123456789',
          routing_number: '110000000',
        },
      },
    ],
  },
);

export const Payout = Type.Object(
  {
    id: Type.String({ examples: ['po_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('payout'),
    livemode: Type.Boolean(),
    status: PayoutStatus,
    wallet_id: Type.String(),
    amount: Type.String({ examples: ['250.00'] }),
    currency: Type.String({ examples: ['USD'] }),
    rail: Type.String({
      examples: ['bank_account'],
      description: 'bank_file: the live ISO 20022 file rail.',
    }),
    destination: MaskedInstrument,
    failure_code: Type.Union([Type.String({ examples: ['account_closed'] }), Type.Null()]),
    failure_message: Type.Union([Type.String(), Type.Null()]),
    conversion_id: Type.Union([Type.String(), Type.Null()], {
      description:
        'The conversion made on the way, when the wallet holds another currency; a failure undoes it.',
    }),
    batch_id: Type.Union([Type.String(), Type.Null()]),
    schedule_id: Type.Union([Type.String(), Type.Null()]),
    file_id: Type.Union([Type.String(), Type.Null()]),
    paid_at: Type.Union([Timestamp, Type.Null()]),
    canceled_at: Type.Union([Timestamp, Type.Null()]),
    retry_of: Type.Union([Type.String(), Type.Null()], {
      description: 'The failed or returned payout this one retries (POST /v1/payouts/:id/retry).',
    }),
    retried_by: Type.Union([Type.String(), Type.Null()], {
      description: 'The payout that retried this one; a payout is retried at most once.',
    }),
    description: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Payout' },
);

export const PayoutListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    wallet_id: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(PayoutStatus),
    batch_id: Type.Optional(Type.String({ maxLength: 64 })),
  }),
]);

export const CreatePayoutBatchBody = Type.Object(
  {
    payouts: Type.Array(CreatePayoutBody, { minItems: 1, maxItems: batch_payouts_max }),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        payouts: [
          {
            wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
            amount: '120.00',
            currency: 'USD',
            destination: {
              type: 'bank_account',
              account_holder_name: 'Ada Lovelace',
              account_number: '000123456789',
              routing_number: '110000000',
            },
          },
        ],
      },
    ],
  },
);

const ItemError = Type.Object({
  code: Type.String({ examples: ['insufficient_funds'] }),
  detail: Type.String(),
  param: Type.Union([Type.String(), Type.Null()]),
});

export const PayoutBatch = Type.Object(
  {
    id: Type.String({ examples: ['pob_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('payout_batch'),
    livemode: Type.Boolean(),
    items: Type.Array(
      Type.Object({
        index: Type.Integer(),
        status: Type.Union([Type.Literal('created'), Type.Literal('failed')], {
          description: 'created: see payout.status for its progress; failed: refused, nothing written.',
        }),
        payout: Type.Union([Payout, Type.Null()]),
        error: Type.Union([ItemError, Type.Null()]),
      }),
    ),
    created_count: Type.Integer(),
    failed_count: Type.Integer(),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
  },
  { $id: 'PayoutBatch' },
);
