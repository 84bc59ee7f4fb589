import { Type } from '@sinclair/typebox';
import { Amount, Currency } from '../http/money-schemas.js';
import { Metadata, Timestamp } from '../http/schemas.js';

const CardSource = Type.Object(
  {
    type: Type.Literal('card'),
    number: Type.String({
      pattern: '^[0-9]{12,19}$',
      description: 'In test mode, a sandbox card: 4242424242424242 succeeds, 4000000000000002 is declined.',
    }),
    exp_month: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
    exp_year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })),
    cvc: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$' })),
  },
  { additionalProperties: false },
);

export const CreatePaymentBody = Type.Object(
  {
    wallet_id: Type.String({ minLength: 1, maxLength: 64 }),
    amount: Amount,
    currency: Currency,
    source: CardSource,
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
    source: Type.Object({ type: Type.String(), brand: Type.String(), last4: Type.String() }),
    failure_code: Type.Union([Type.String(), Type.Null()]),
    description: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
  },
  { $id: 'Payment' },
);
