import { Type } from '@sinclair/typebox';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';
import { CardNumber } from '../rails/schemas.js';
import { Interval, PriceId } from './catalog-schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const Id = (example: string) => Type.String({ minLength: 1, maxLength: 64, examples: [example] });
export const SubscriptionId = Id('sub_01jd0w3n3w8m5t5vq6fz1y2k3h');

const Quantity = Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'Default 1.' });

export const SubscriptionSource = Type.Union(
  [
    Type.Object({ type: Type.Literal('card'), number: CardNumber }, { additionalProperties: false }),
    Type.Object(
      {
        type: Type.Literal('bank_account'),
        account_number: Type.String({ pattern: '^[0-9]{4,17}$' }),
        routing_number: Type.String({ pattern: '^[0-9]{9}$' }),
        account_holder_name: Type.Optional(Type.String({ maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'Collect through a rail instead of a wallet: a card, or a bank debit.' },
);

export const Dunning = Type.Object(
  {
    retry_schedule_days: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 60 }), {
        maxItems: 10,
        description: 'Days after each failed attempt before the next; default [3, 5, 7].',
      }),
    ),
    final_action: Type.Optional(
      Type.Union([Type.Literal('unpaid'), Type.Literal('canceled')], {
        description: 'After the last retry fails: unpaid (the default; the invoice stays open) or canceled.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CreateSubscriptionBody = Type.Object(
  {
    holder_id: Type.String({ minLength: 1, maxLength: 64, examples: ['hol_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    items: Type.Array(
      Type.Object({ price_id: PriceId, quantity: Type.Optional(Quantity) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 20 },
    ),
    wallet_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "The holder's wallet the invoices are paid from (the default way to collect).",
      }),
    ),
    source: Type.Optional(SubscriptionSource),
    revenue_wallet_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          "The platform's wallet that receives the money; default: the currency's fees account. Required with a source.",
      }),
    ),
    trial_end: Type.Optional(
      Type.String({ format: 'date-time', description: 'The trial ends then; nothing is charged before.' }),
    ),
    trial_period_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 730 })),
    billing_cycle_anchor: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Renewals fall on this time, every interval; the first period up to it is prorated.',
      }),
    ),
    coupon: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A coupon id.' })),
    default_tax_rates: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 5 }),
    ),
    dunning: Type.Optional(Dunning),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        holder_id: 'hol_01jd0w3n3w8m5t5vq6fz1y2k3h',
        wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
        items: [{ price_id: 'prc_01jd0w3n3w8m5t5vq6fz1y2k3h', quantity: 1 }],
        trial_period_days: 14,
      },
    ],
  },
);

export const ProrationBehavior = Type.Union(
  [Type.Literal('create_prorations'), Type.Literal('always_invoice'), Type.Literal('none')],
  {
    description:
      'create_prorations (the default): the prorations wait for the next invoice; always_invoice: invoiced and collected now; none: no proration.',
  },
);

export const UpdateSubscriptionBody = Type.Object(
  {
    items: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.Optional(
              Type.String({ minLength: 1, maxLength: 64, description: 'An item to change or delete.' }),
            ),
            price_id: Type.Optional(PriceId),
            quantity: Type.Optional(Quantity),
            deleted: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 20 },
      ),
    ),
    proration_behavior: Type.Optional(ProrationBehavior),
    cancel_at_period_end: Type.Optional(Type.Boolean()),
    coupon: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    default_tax_rates: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 5 }),
    ),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        items: [{ id: 'si_01jd0w3n3w8m5t5vq6fz1y2k3h', price_id: 'prc_01jd0w3n3w8m5t5vq6fz1y2k3j' }],
        proration_behavior: 'always_invoice',
      },
    ],
  },
);

export const CancelSubscriptionBody = Type.Object(
  {
    prorate: Type.Optional(
      Type.Boolean({
        description: 'Credit the unused time of the paid period back to the wallet. Default false.',
      }),
    ),
    invoice_now: Type.Optional(
      Type.Boolean({ description: 'Bill usage not yet billed on a final invoice now. Default true.' }),
    ),
  },
  { additionalProperties: false, examples: [{ prorate: true }] },
);

const Status = Type.Union([
  Type.Literal('trialing'),
  Type.Literal('active'),
  Type.Literal('past_due'),
  Type.Literal('unpaid'),
  Type.Literal('canceled'),
  Type.Literal('paused'),
  Type.Literal('incomplete'),
]);

export const Subscription = Type.Object(
  {
    id: SubscriptionId,
    object: Type.Literal('subscription'),
    livemode: Type.Boolean(),
    holder_id: Type.String(),
    status: Status,
    currency: Type.String(),
    items: Type.Array(
      Type.Object({
        id: Type.String(),
        object: Type.Literal('subscription_item'),
        price_id: Type.String(),
        quantity: Type.Integer(),
        usage_type: Type.Union([Type.Literal('licensed'), Type.Literal('metered')]),
        created_at: Timestamp,
      }),
    ),
    interval: Interval,
    interval_count: Type.Integer(),
    wallet_id: Nullable(Type.String()),
    source: Nullable(Type.Record(Type.String(), Type.Unknown())),
    revenue_wallet_id: Type.String(),
    billing_cycle_anchor: Timestamp,
    current_period_start: Timestamp,
    current_period_end: Timestamp,
    trial_start: Nullable(Timestamp),
    trial_end: Nullable(Timestamp),
    cancel_at_period_end: Type.Boolean(),
    canceled_at: Nullable(Timestamp),
    ended_at: Nullable(Timestamp),
    paused_at: Nullable(Timestamp),
    coupon_id: Nullable(Type.String()),
    discount_end: Nullable(Timestamp),
    default_tax_rates: Type.Array(Type.String()),
    dunning: Type.Object({ retry_schedule_days: Type.Array(Type.Number()), final_action: Type.String() }),
    latest_invoice_id: Nullable(Type.String()),
    test_clock_id: Nullable(Type.String()),
    metadata: Metadata,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Subscription' },
);

export const SubscriptionListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    holder_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(Status),
    test_clock_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  }),
]);

export const CreateUsageRecordBody = Type.Object(
  {
    subscription_item_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    subscription_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'With price_id, instead of subscription_item_id.',
      }),
    ),
    price_id: Type.Optional(PriceId),
    quantity: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 }),
    action: Type.Optional(
      Type.Union([Type.Literal('increment'), Type.Literal('set')], {
        description: 'increment (the default) adds to the period total; set replaces it as of timestamp.',
      }),
    ),
    timestamp: Type.Optional(
      Type.String({ format: 'date-time', description: "Default: now (the holder's test clock time)." }),
    ),
    identifier: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Your id for this record: sending it again records nothing twice.',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        subscription_item_id: 'si_01jd0w3n3w8m5t5vq6fz1y2k3h',
        quantity: 1200,
        action: 'increment',
        identifier: 'req-8812',
      },
    ],
  },
);

export const UsageRecord = Type.Object(
  {
    id: Id('ur_01jd0w3n3w8m5t5vq6fz1y2k3h'),
    object: Type.Literal('usage_record'),
    livemode: Type.Boolean(),
    subscription_item_id: Type.String(),
    quantity: Type.Integer(),
    action: Type.Union([Type.Literal('increment'), Type.Literal('set')]),
    timestamp: Timestamp,
    identifier: Nullable(Type.String()),
    invoice_id: Nullable(Type.String()),
    created_at: Timestamp,
  },
  { $id: 'UsageRecord' },
);
