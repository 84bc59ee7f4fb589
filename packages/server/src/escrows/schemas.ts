import { Type } from '@sinclair/typebox';
import { Amount, Currency } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';

export const milestones_max = 100;

const WalletId = Type.String({ minLength: 1, maxLength: 64, examples: ['wal_01jd0w3n3w8m5t5vq6fz1y2k3h'] });
const MilestoneId = Type.String({
  minLength: 1,
  maxLength: 64,
  description: "A milestone's id within its escrow: ms_1, ms_2, ... in the order given.",
  examples: ['ms_2'],
});

const Status = Type.Union(
  [Type.Literal('held'), Type.Literal('released'), Type.Literal('canceled'), Type.Literal('disputed')],
  {
    description:
      'held: funded, possibly partly released; released: all paid to the payee; canceled: ended with the rest returned to the payer; disputed: frozen until resolved.',
    examples: ['held'],
  },
);

export const CreateEscrowBody = Type.Object(
  {
    payer_wallet_id: WalletId,
    payee_wallet_id: WalletId,
    amount: Amount,
    currency: Currency,
    milestones: Type.Optional(
      Type.Array(
        Type.Object(
          { amount: Amount, description: Type.Optional(Type.String({ maxLength: 500 })) },
          { additionalProperties: false },
        ),
        {
          minItems: 1,
          maxItems: milestones_max,
          description:
            'Amounts must add up to the amount exactly. With milestones, releases go by milestone.',
        },
      ),
    ),
    auto_release_at: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'When whatever remains is released to the payee, unless disputed. Not with auto_refund_at.',
      }),
    ),
    auto_refund_at: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'When whatever remains is refunded to the payer, unless disputed. Not with auto_release_at.',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        payer_wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
        payee_wallet_id: 'wal_01jd0w4a0c5p9d8e7f6g5h4j3k',
        amount: '3000.00',
        currency: 'USD',
        milestones: [
          { amount: '1000.00', description: 'Wireframes' },
          { amount: '1500.00', description: 'Working prototype' },
          { amount: '500.00', description: 'Launch' },
        ],
        auto_refund_at: '2027-06-30T00:00:00Z',
        description: 'Project 42: mobile app',
      },
    ],
  },
);

const Milestone = Type.Object({
  id: MilestoneId,
  amount: Type.String({ examples: ['1000.00'] }),
  description: Type.Union([Type.String(), Type.Null()], { examples: ['Wireframes'] }),
  status: Type.Union([Type.Literal('pending'), Type.Literal('released'), Type.Literal('canceled')], {
    examples: ['released'],
  }),
});

const Dispute = Type.Object({
  reason: Type.String({ examples: ['The prototype does not run on Android.'] }),
  opened_at: Timestamp,
  outcome: Type.Union(
    [Type.Literal('release'), Type.Literal('refund'), Type.Literal('resume'), Type.Null()],
    {
      description: 'null while the dispute is open.',
      examples: ['resume'],
    },
  ),
  resolved_at: Type.Union([Timestamp, Type.Null()]),
});

export const Escrow = Type.Object(
  {
    id: Type.String({ examples: ['esc_01jd0w5c2e7r1f0g9h8j7k6m5n'] }),
    object: Type.Literal('escrow'),
    livemode: Type.Boolean(),
    status: Status,
    payer_wallet_id: Type.String({ examples: ['wal_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    payee_wallet_id: Type.String({ examples: ['wal_01jd0w4a0c5p9d8e7f6g5h4j3k'] }),
    amount: Type.String({ examples: ['3000.00'] }),
    currency: Type.String({ examples: ['USD'] }),
    released_amount: Type.String({ description: 'Paid to the payee so far.', examples: ['1000.00'] }),
    refunded_amount: Type.String({ description: 'Returned to the payer when it ended.', examples: ['0.00'] }),
    remaining_amount: Type.String({ description: 'Still held in escrow.', examples: ['2000.00'] }),
    milestones: Type.Array(Milestone),
    auto_release_at: Type.Union([Timestamp, Type.Null()]),
    auto_refund_at: Type.Union([Timestamp, Type.Null()]),
    dispute: Type.Union([Dispute, Type.Null()], { description: 'The latest dispute, if any.' }),
    description: Type.Union([Type.String(), Type.Null()], { examples: ['Project 42: mobile app'] }),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Escrow' },
);

export const ReleaseBody = Type.Object(
  {
    milestone_id: Type.Optional(MilestoneId),
    amount: Type.Optional(Amount),
  },
  {
    additionalProperties: false,
    description: 'Exactly one: a milestone (escrows with milestones) or an amount (escrows without).',
    examples: [{ milestone_id: 'ms_1' }, { amount: '250.00' }],
  },
);

export const DisputeBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false, examples: [{ reason: 'The prototype does not run on Android.' }] },
);

export const ResolveBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('release'), Type.Literal('refund'), Type.Literal('resume')], {
      description:
        'release: pay everything remaining to the payee; refund: return it to the payer; resume: back to held.',
    }),
  },
  { additionalProperties: false, examples: [{ outcome: 'resume' }] },
);

export const EscrowListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    payer_wallet_id: Type.Optional(Type.String({ maxLength: 64 })),
    payee_wallet_id: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(
      Type.Union([
        Type.Literal('held'),
        Type.Literal('released'),
        Type.Literal('canceled'),
        Type.Literal('disputed'),
      ]),
    ),
  }),
]);
