import { Type } from '@sinclair/typebox';
import { Amount, Currency, Percent, WalletId } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';

export const destinations_max = 100;
export const batch_transfers_max = 1000;

const DestinationRequest = Type.Object(
  {
    wallet_id: WalletId,
    amount: Type.Optional(Amount),
    percent: Type.Optional(Percent),
    remainder: Type.Optional(
      Type.Literal(true, { description: 'Takes what the other destinations leave, rounding included.' }),
    ),
  },
  { additionalProperties: false },
);

const transfer_fields = {
  source_wallet_id: WalletId,
  destination_wallet_id: Type.Optional(WalletId),
  destinations: Type.Optional(Type.Array(DestinationRequest, { minItems: 1, maxItems: destinations_max })),
  amount: Amount,
  currency: Currency,
  fee: Type.Optional(
    Type.Object(
      {
        amount: Amount,
        wallet_id: Type.Optional(
          Type.String({ maxLength: 64, description: "Default: the platform's fees account." }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  hold: Type.Optional(Type.Boolean({ description: 'Reserve the funds now; capture or void later.' })),
  expires_at: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'When an uncaptured hold is voided. Default: 7 days.',
    }),
  ),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  metadata: Type.Optional(Metadata),
};

const transfer_example = {
  source_wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
  destinations: [
    { wallet_id: 'wal_01jd0w4a0c5p9d8e7f6g5h4j3k', percent: '80' },
    { wallet_id: 'wal_01jd0w4b1d6q0e9f8g7h6j5k4m', remainder: true },
  ],
  amount: '100.00',
  currency: 'USD',
  fee: { amount: '2.50' },
  description: 'Order 6735',
};

/** One transfer of a batch: in the source's currency only (a conversion needs its own request). */
export const BatchTransferItem = Type.Object(transfer_fields, {
  additionalProperties: false,
  examples: [transfer_example],
});

export const CreateTransferBody = Type.Object(
  {
    ...transfer_fields,
    quote_id: Type.Optional(
      Type.String({
        maxLength: 64,
        description:
          "Converts on the way (docs/fx.md): amount and currency are the quote's source side, and destination_wallet_id, in the quote's target currency, receives its target_amount. One destination, no fee, no hold.",
      }),
    ),
  },
  { additionalProperties: false, examples: [transfer_example] },
);

export const Transfer = Type.Object(
  {
    id: Type.String({ examples: ['tr_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('transfer'),
    livemode: Type.Boolean(),
    status: Type.Union([
      Type.Literal('pending'),
      Type.Literal('posted'),
      Type.Literal('voided'),
      Type.Literal('expired'),
    ]),
    source_wallet_id: Type.String(),
    amount: Type.String({ examples: ['100.00'] }),
    currency: Type.String({ examples: ['USD'] }),
    captured_amount: Type.Union([Type.String(), Type.Null()], {
      description: 'For a captured hold: how much moved.',
    }),
    fee: Type.Union([Type.Object({ amount: Type.String(), account_id: Type.String() }), Type.Null()]),
    destinations: Type.Array(
      Type.Object({
        wallet_id: Type.String(),
        amount: Type.String(),
        currency: Type.Optional(
          Type.String({
            description: "Only on a leg paid in another currency than the transfer's (docs/fx.md).",
          }),
        ),
      }),
    ),
    hold: Type.Boolean(),
    expires_at: Type.Union([Timestamp, Type.Null()]),
    conversion_id: Type.Union([Type.String(), Type.Null()], {
      description: 'The conversion made on the way, for a transfer paid with a quote into another currency.',
    }),
    description: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Transfer' },
);

export const CaptureBody = Type.Object(
  { amount: Type.Optional(Amount) },
  { additionalProperties: false, examples: [{ amount: '60.00' }] },
);

export const TransferListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    wallet_id: Type.Optional(
      Type.String({ maxLength: 64, description: 'Transfers from or to this wallet.' }),
    ),
    status: Type.Optional(
      Type.Union([
        Type.Literal('pending'),
        Type.Literal('posted'),
        Type.Literal('voided'),
        Type.Literal('expired'),
      ]),
    ),
    created_gte: Type.Optional(Type.String({ format: 'date-time' })),
    created_lt: Type.Optional(Type.String({ format: 'date-time' })),
  }),
]);

export const BatchBody = Type.Object(
  {
    transfers: Type.Array(BatchTransferItem, { minItems: 1, maxItems: batch_transfers_max }),
    atomic: Type.Optional(
      Type.Boolean({ description: 'true: all or none. Default false: each item succeeds or fails alone.' }),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        atomic: false,
        transfers: [
          {
            source_wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
            destination_wallet_id: 'wal_01jd0w4a0c5p9d8e7f6g5h4j3k',
            amount: '5.00',
            currency: 'USD',
          },
        ],
      },
    ],
  },
);

export const BatchResult = Type.Object({
  object: Type.Literal('transfer_batch'),
  atomic: Type.Boolean(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  results: Type.Array(
    Type.Object({
      index: Type.Integer(),
      status: Type.Integer({ description: 'The HTTP status this item would have had alone.' }),
      transfer: Type.Optional(Transfer),
      error: Type.Optional(Type.Ref('Problem')),
    }),
  ),
});
