import { Type } from '@sinclair/typebox';
import { Currency } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';
import { AmountOrZero, PriceId } from './catalog-schemas.js';
import { SubscriptionSource } from './subscription-schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const IdString = Type.String({ minLength: 1, maxLength: 64 });

const Status = Type.Union([
  Type.Literal('draft'),
  Type.Literal('open'),
  Type.Literal('paid'),
  Type.Literal('void'),
  Type.Literal('uncollectible'),
]);

export const LineItem = Type.Object({
  id: Type.String(),
  object: Type.Literal('line_item'),
  type: Type.Union([
    Type.Literal('subscription'),
    Type.Literal('usage'),
    Type.Literal('proration'),
    Type.Literal('invoice_item'),
  ]),
  description: Type.String(),
  price_id: Nullable(Type.String()),
  subscription_item_id: Nullable(Type.String()),
  quantity: Type.Integer(),
  unit_amount: Nullable(Type.String()),
  amount: Type.String({ description: 'Before discount and taxes; negative for a credit.' }),
  discount_amount: Type.String(),
  tax_amounts: Type.Array(
    Type.Object({ tax_rate_id: Type.String(), inclusive: Type.Boolean(), amount: Type.String() }),
  ),
  proration: Type.Boolean(),
  period: Type.Object({ start: Timestamp, end: Timestamp }),
});

export const Invoice = Type.Object(
  {
    id: Type.String({ examples: ['inv_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('invoice'),
    livemode: Type.Boolean(),
    number: Nullable(
      Type.String({ description: 'Given at finalization, in order per mode: INV-TEST-000042.' }),
    ),
    holder_id: Type.String(),
    subscription_id: Nullable(Type.String()),
    status: Status,
    billing_reason: Type.String(),
    collection_method: Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')]),
    currency: Type.String(),
    wallet_id: Nullable(Type.String()),
    source: Nullable(Type.Record(Type.String(), Type.Unknown())),
    period_start: Timestamp,
    period_end: Timestamp,
    lines: Type.Array(LineItem),
    coupon_id: Nullable(Type.String()),
    tax_rate_ids: Type.Array(Type.String()),
    subtotal: Type.String(),
    discount: Type.String(),
    tax: Type.String(),
    total: Type.String(),
    amount_paid: Type.String(),
    amount_due: Type.String(),
    attempt_count: Type.Integer(),
    next_payment_attempt: Nullable(Timestamp),
    last_failure_code: Nullable(Type.String()),
    due_date: Nullable(Timestamp),
    ledger_transaction_id: Nullable(Type.String()),
    payment_id: Nullable(Type.String()),
    description: Nullable(Type.String()),
    test_clock_id: Nullable(Type.String()),
    metadata: Metadata,
    finalized_at: Nullable(Timestamp),
    paid_at: Nullable(Timestamp),
    voided_at: Nullable(Timestamp),
    marked_uncollectible_at: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { $id: 'Invoice' },
);

export const CreateInvoiceBody = Type.Object(
  {
    holder_id: IdString,
    currency: Currency,
    lines: Type.Array(
      Type.Object(
        {
          description: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
          amount: Type.Optional(AmountOrZero),
          price_id: Type.Optional(PriceId),
          quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
        },
        { additionalProperties: false },
      ),
      {
        minItems: 1,
        maxItems: 250,
        description: 'Each line an amount (unit amount with a quantity) or a price.',
      },
    ),
    wallet_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: "The holder's wallet that pays it." }),
    ),
    revenue_wallet_id: Type.Optional(IdString),
    collection_method: Type.Optional(
      Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')], {
        description:
          'send_invoice (the default): the holder pays it (POST /v1/invoices/:id/pay) by its due date; charge_automatically: collected from wallet_id when finalized.',
      }),
    ),
    days_until_due: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 365,
        description: 'Net terms: due this many days after finalization (default 30).',
      }),
    ),
    coupon: Type.Optional(IdString),
    default_tax_rates: Type.Optional(Type.Array(IdString, { maxItems: 5 })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        holder_id: 'hol_01jd0w3n3w8m5t5vq6fz1y2k3h',
        currency: 'USD',
        wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
        lines: [{ description: 'Onboarding workshop', amount: '1500.00' }],
        days_until_due: 30,
      },
    ],
  },
);

export const PayInvoiceBody = Type.Object(
  {
    wallet_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "Pay from this wallet of the holder's instead.",
      }),
    ),
    source: Type.Optional(SubscriptionSource),
  },
  { additionalProperties: false, examples: [{ wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h' }] },
);

export const InvoiceListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    subscription_id: Type.Optional(IdString),
    holder_id: Type.Optional(IdString),
    status: Type.Optional(Status),
  }),
]);

export const TestClock = Type.Object(
  {
    id: Type.String({ examples: ['clock_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('test_clock'),
    livemode: Type.Boolean(),
    name: Nullable(Type.String()),
    frozen_time: Timestamp,
    status: Type.Union([Type.Literal('ready'), Type.Literal('advancing')]),
    advancing_to: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { $id: 'TestClock' },
);

export const CreateTestClockBody = Type.Object(
  {
    frozen_time: Type.String({ format: 'date-time', examples: ['2027-01-01T00:00:00Z'] }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  {
    additionalProperties: false,
    examples: [{ frozen_time: '2027-01-01T00:00:00Z', name: 'Annual renewal' }],
  },
);

export const AdvanceTestClockBody = Type.Object(
  { frozen_time: Type.String({ format: 'date-time', description: 'Later than the current frozen_time.' }) },
  { additionalProperties: false, examples: [{ frozen_time: '2027-02-01T00:00:00Z' }] },
);
