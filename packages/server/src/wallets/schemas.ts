import { Type } from '@sinclair/typebox';
import { Amount, Currency } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';

const Balance = Type.Object({
  available: Type.String({ description: 'Spendable now.', examples: ['70.00'] }),
  held: Type.String({ description: 'Reserved by pending outgoing transfers (holds).', examples: ['30.00'] }),
  pending: Type.String({ description: 'Incoming, not yet settled.', examples: ['0.00'] }),
  total: Type.String({ description: 'available + held + pending.', examples: ['100.00'] }),
});

export const Wallet = Type.Object(
  {
    id: Type.String({ examples: ['wal_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('wallet'),
    livemode: Type.Boolean(),
    currency: Type.String({ examples: ['USD'] }),
    holder_id: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('active'), Type.Literal('frozen'), Type.Literal('closed')]),
    overdraft_limit: Type.String({
      description: 'How far below zero a platform wallet may go.',
      examples: ['0.00'],
    }),
    balance: Balance,
    settlement_delay_days: Type.Integer({
      description: 'Payments into this wallet stay pending this many days before they settle (T+N).',
      examples: [0],
    }),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
  },
  { $id: 'Wallet' },
);

export const CreateWalletBody = Type.Object(
  {
    currency: Currency,
    holder_id: Type.Optional(Type.String({ maxLength: 64, description: 'Omit for a platform wallet.' })),
    overdraft_limit: Type.Optional(Amount),
    settlement_delay_days: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 30,
        description: 'Payments into this wallet stay pending this many days before they settle. Default 0.',
      }),
    ),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [{ currency: 'USD', holder_id: 'hol_01jd0w3n3w8m5t5vq6fz1y2k3h' }],
  },
);

export const WalletListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    holder_id: Type.Optional(Type.String({ maxLength: 64 })),
    currency: Type.Optional(Type.String({ maxLength: 16 })),
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('frozen'), Type.Literal('closed')]),
    ),
  }),
]);

export const Posting = Type.Object(
  {
    id: Type.String({
      description:
        "The wallet's id without its prefix and the posting's number on the wallet (1, 2, 3...): unique, and in a wallet's order.",
      examples: ['pst_01jd0w3n3w8m5t5vq6fz1y2k3h_42'],
    }),
    object: Type.Literal('posting'),
    livemode: Type.Boolean(),
    wallet_id: Type.String(),
    transaction_id: Type.String({
      description:
        "The journal entry this posting belongs to. The entry that creates a transfer (reason `transfer.posted` or `transfer.held`) is named by the transfer's own id, `tr_…`; every other entry by a `txn_…` id.",
    }),
    reason: Type.String({ examples: ['transfer.posted'] }),
    reference_id: Type.String({
      description: 'The transfer or payment that caused it.',
      examples: ['tr_01jd0w3n3w8m5t5vq6fz1y2k3h'],
    }),
    side: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
    layer: Type.Union([Type.Literal('posted'), Type.Literal('pending')]),
    release: Type.Boolean({ description: 'true when it undoes part of a hold (capture or void).' }),
    amount: Type.String({ examples: ['10.00'] }),
    currency: Type.String(),
    balance_after: Balance,
    created_at: Timestamp,
  },
  { $id: 'Posting' },
);

export const BalanceQuery = Type.Object({
  at: Type.Optional(
    Type.String({ format: 'date-time', description: 'Balance as of this instant; default now.' }),
  ),
});

export const BalanceAt = Type.Object({
  object: Type.Literal('balance'),
  livemode: Type.Boolean(),
  wallet_id: Type.String(),
  currency: Type.String(),
  at: Timestamp,
  ...Balance.properties,
});

export const StatementQuery = Type.Object({
  from: Type.String({ format: 'date-time', description: 'Inclusive start.' }),
  to: Type.String({ format: 'date-time', description: 'Exclusive end.' }),
});
