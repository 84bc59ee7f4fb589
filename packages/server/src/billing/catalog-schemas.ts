import { Type } from '@sinclair/typebox';
import { Currency } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';

/** What a subscription bills: products, their prices, coupons and tax rates. */

const Id = (example: string) => Type.String({ minLength: 1, maxLength: 64, examples: [example] });
export const ProductId = Id('prod_01jd0w3n3w8m5t5vq6fz1y2k3h');
export const PriceId = Id('prc_01jd0w3n3w8m5t5vq6fz1y2k3h');

/** An amount that may be zero (a free tier, a price of 0.00): a decimal string. */
export const AmountOrZero = Type.String({
  maxLength: 60,
  description: "A decimal string, zero or more, with at most the asset's scale of decimals.",
  examples: ['12.00'],
  'x-purse-code': 'invalid_amount',
});

export const Interval = Type.Union(
  [Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('year')],
  { examples: ['month'] },
);

const Percentage = Type.String({
  pattern: '^(0|[1-9][0-9]{0,2})(\\.[0-9]{1,4})?$',
  description: 'A percentage above 0 and at most 100, with up to 4 decimals.',
  examples: ['20'],
});

export const CreateProductBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['Pro plan'] }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, examples: [{ name: 'Pro plan', description: 'Everything, every month' }] },
);

export const UpdateProductBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    active: Type.Optional(
      Type.Boolean({ description: 'false archives it: no new subscription can use it.' }),
    ),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, examples: [{ active: false }] },
);

export const Product = Type.Object(
  {
    id: ProductId,
    object: Type.Literal('product'),
    livemode: Type.Boolean(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    active: Type.Boolean(),
    metadata: Metadata,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Product' },
);

const TierIn = Type.Object(
  {
    up_to: Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }), Type.Literal('inf')], {
      description: 'The last quantity in this tier; "inf" for the last tier.',
    }),
    unit_amount: Type.Optional(AmountOrZero),
    flat_amount: Type.Optional(AmountOrZero),
  },
  { additionalProperties: false },
);

export const CreatePriceBody = Type.Object(
  {
    product_id: ProductId,
    currency: Currency,
    unit_amount: Type.Optional(AmountOrZero),
    recurring: Type.Optional(
      Type.Object(
        {
          interval: Interval,
          interval_count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1095, default: undefined })),
        },
        { additionalProperties: false },
      ),
    ),
    billing_scheme: Type.Optional(
      Type.Union([Type.Literal('per_unit'), Type.Literal('tiered')], {
        description: 'per_unit (the default): unit_amount × quantity; tiered: by tiers.',
      }),
    ),
    tiers_mode: Type.Optional(
      Type.Union([Type.Literal('graduated'), Type.Literal('volume')], {
        description:
          'graduated (the default): each unit at the price of the tier it falls in; volume: every unit at the tier the total reaches.',
      }),
    ),
    tiers: Type.Optional(Type.Array(TierIn, { minItems: 1, maxItems: 50 })),
    usage_type: Type.Optional(
      Type.Union([Type.Literal('licensed'), Type.Literal('metered')], {
        description:
          'licensed (the default): billed in advance for the quantity subscribed; metered: billed at period end from usage records.',
      }),
    ),
    nickname: Type.Optional(Type.String({ maxLength: 200 })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        product_id: 'prod_01jd0w3n3w8m5t5vq6fz1y2k3h',
        currency: 'USD',
        unit_amount: '25.00',
        recurring: { interval: 'month' },
      },
    ],
  },
);

export const UpdatePriceBody = Type.Object(
  {
    nickname: Type.Optional(Type.String({ maxLength: 200 })),
    active: Type.Optional(Type.Boolean({ description: 'false archives it. Its amounts never change.' })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, examples: [{ nickname: 'Pro monthly (2026)', active: false }] },
);

const TierOut = Type.Object({
  up_to: Type.Union([Type.Integer(), Type.Literal('inf')]),
  unit_amount: Type.String(),
  flat_amount: Type.String(),
});

export const Price = Type.Object(
  {
    id: PriceId,
    object: Type.Literal('price'),
    livemode: Type.Boolean(),
    product_id: ProductId,
    currency: Type.String(),
    type: Type.Union([Type.Literal('recurring'), Type.Literal('one_time')]),
    billing_scheme: Type.Union([Type.Literal('per_unit'), Type.Literal('tiered')]),
    unit_amount: Type.Union([Type.String(), Type.Null()]),
    tiers_mode: Type.Union([Type.Literal('graduated'), Type.Literal('volume'), Type.Null()]),
    tiers: Type.Union([Type.Array(TierOut), Type.Null()]),
    recurring: Type.Union([Type.Object({ interval: Interval, interval_count: Type.Integer() }), Type.Null()]),
    usage_type: Type.Union([Type.Literal('licensed'), Type.Literal('metered')]),
    nickname: Type.Union([Type.String(), Type.Null()]),
    active: Type.Boolean(),
    metadata: Metadata,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Price' },
);

export const CreateCouponBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    percent_off: Type.Optional(Percentage),
    amount_off: Type.Optional(AmountOrZero),
    currency: Type.Optional(Currency),
    duration: Type.Union([Type.Literal('once'), Type.Literal('repeating'), Type.Literal('forever')], {
      description: 'once: the first invoice; repeating: every invoice for duration_in_months; forever.',
    }),
    duration_in_months: Type.Optional(Type.Integer({ minimum: 1, maximum: 120 })),
    max_redemptions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [{ name: 'Launch', percent_off: '20', duration: 'repeating', duration_in_months: 3 }],
  },
);

export const Coupon = Type.Object(
  {
    id: Id('cpn_01jd0w3n3w8m5t5vq6fz1y2k3h'),
    object: Type.Literal('coupon'),
    livemode: Type.Boolean(),
    name: Type.Union([Type.String(), Type.Null()]),
    percent_off: Type.Union([Type.String(), Type.Null()]),
    amount_off: Type.Union([Type.String(), Type.Null()]),
    currency: Type.Union([Type.String(), Type.Null()]),
    duration: Type.Union([Type.Literal('once'), Type.Literal('repeating'), Type.Literal('forever')]),
    duration_in_months: Type.Union([Type.Integer(), Type.Null()]),
    max_redemptions: Type.Union([Type.Integer(), Type.Null()]),
    times_redeemed: Type.Integer(),
    active: Type.Boolean(),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'Coupon' },
);

export const CreateTaxRateBody = Type.Object(
  {
    display_name: Type.String({ minLength: 1, maxLength: 100, examples: ['VAT'] }),
    percentage: Percentage,
    inclusive: Type.Boolean({
      description: 'true: the tax is contained in the line amounts; false: it is added on top.',
    }),
    jurisdiction: Type.Optional(Type.String({ maxLength: 100 })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [{ display_name: 'VAT', percentage: '20', inclusive: true, jurisdiction: 'FR' }],
  },
);

export const TaxRate = Type.Object(
  {
    id: Id('txr_01jd0w3n3w8m5t5vq6fz1y2k3h'),
    object: Type.Literal('tax_rate'),
    livemode: Type.Boolean(),
    display_name: Type.String(),
    percentage: Type.String(),
    inclusive: Type.Boolean(),
    jurisdiction: Type.Union([Type.String(), Type.Null()]),
    active: Type.Boolean(),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'TaxRate' },
);

export const ArchiveBody = Type.Object(
  {
    active: Type.Optional(Type.Boolean()),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, examples: [{ active: false }] },
);

export const CatalogListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({ active: Type.Optional(Type.Boolean()) }),
]);

export const PriceListQuery = Type.Composite([
  CatalogListQuery,
  Type.Object({ product_id: Type.Optional(ProductId), currency: Type.Optional(Currency) }),
]);
