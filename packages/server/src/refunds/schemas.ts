import { Type } from '@sinclair/typebox';
import { Amount } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';

const Reason = Type.Union([
  Type.Literal('duplicate'),
  Type.Literal('fraudulent'),
  Type.Literal('requested_by_customer'),
]);

export const CreateRefundBody = Type.Object(
  {
    payment_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    transfer_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    amount: Type.Optional(Amount),
    reason: Type.Optional(Reason),
    cover_wallet_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'A platform wallet that pays whatever a wallet can no longer give back (already spent). Without it, such a refund is refused with insufficient_funds.',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      { payment_id: 'pay_01jd0w3n3w8m5t5vq6fz1y2k3h', amount: '25.00', reason: 'requested_by_customer' },
    ],
  },
);

export const Refund = Type.Object(
  {
    id: Type.String({ examples: ['re_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('refund'),
    livemode: Type.Boolean(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')], {
      description:
        'Card and transfer refunds succeed at once; a bank refund is pending until the rail confirms.',
    }),
    payment_id: Type.Union([Type.String(), Type.Null()]),
    transfer_id: Type.Union([Type.String(), Type.Null()]),
    amount: Type.String({ examples: ['25.00'] }),
    currency: Type.String({ examples: ['USD'] }),
    parts: Type.Array(
      Type.Object({
        account_id: Type.String(),
        amount: Type.String({ examples: ['7.50'] }),
        covered_by: Type.Union([Type.String(), Type.Null()], {
          description: 'The cover wallet that paid this part, when the account could not.',
        }),
      }),
      { description: 'What each account that received money gave back.' },
    ),
    reason: Type.Union([Reason, Type.Null()]),
    failure_code: Type.Union([Type.String(), Type.Null()]),
    description: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Refund' },
);

export const RefundListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    payment_id: Type.Optional(Type.String({ maxLength: 64 })),
    transfer_id: Type.Optional(Type.String({ maxLength: 64 })),
  }),
]);
