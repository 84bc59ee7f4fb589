import { Type } from '@sinclair/typebox';
import { Amount, Currency, Percent, WalletId } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';
import { MaskedInstrument, PaymentSourceSchema } from '../rails/schemas.js';

export const splits_max = 100;

const SplitRequest = Type.Object(
  {
    wallet_id: WalletId,
    amount: Type.Optional(Amount),
    percent: Type.Optional(Percent),
  },
  { additionalProperties: false },
);

export const CreatePaymentBody = Type.Object(
  {
    wallet_id: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Receives the amount less the fee and the splits.',
    }),
    amount: Amount,
    currency: Currency,
    source: PaymentSourceSchema,
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
    splits: Type.Optional(
      Type.Array(SplitRequest, {
        minItems: 1,
        maxItems: splits_max,
        description: 'Other wallets that share the amount after the fee; wallet_id takes the rest.',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
        amount: '100.00',
        currency: 'USD',
        source: { type: 'card', number: '4242424242424242' },
        fee: { amount: '10.00' },
        splits: [{ wallet_id: 'wal_01jd0w3p0c2xq3hrgq3kq4m9dv', amount: '30.00' }],
      },
    ],
  },
);

export const Payment = Type.Object(
  {
    id: Type.String({ examples: ['pay_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('payment'),
    livemode: Type.Boolean(),
    status: Type.Union([Type.Literal('processing'), Type.Literal('succeeded'), Type.Literal('failed')]),
    wallet_id: Type.String(),
    amount: Type.String({ examples: ['100.00'] }),
    currency: Type.String({ examples: ['USD'] }),
    source: MaskedInstrument,
    fee: Type.Union([
      Type.Object({ amount: Type.String({ examples: ['10.00'] }), account_id: Type.String() }),
      Type.Null(),
    ]),
    splits: Type.Array(
      Type.Object({ wallet_id: Type.String(), amount: Type.String({ examples: ['30.00'] }) }),
      { description: 'Every wallet credited, the payment wallet last.' },
    ),
    amount_refunded: Type.String({ examples: ['0.00'] }),
    failure_code: Type.Union([Type.String({ examples: ['card_declined'] }), Type.Null()]),
    confirmations: Type.Union([Type.Integer(), Type.Null()], { description: 'Crypto: seen so far.' }),
    confirmations_required: Type.Union([Type.Integer(), Type.Null()]),
    settles_at: Type.Union([Timestamp, Type.Null()], {
      description: 'When pending funds become available (wallets with a settlement delay).',
    }),
    settled_at: Type.Union([Timestamp, Type.Null()]),
    description: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Payment' },
);

export const PaymentListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    wallet_id: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(
      Type.Union([Type.Literal('processing'), Type.Literal('succeeded'), Type.Literal('failed')]),
    ),
  }),
]);
