import { Type } from '@sinclair/typebox';
import { Amount, Currency, WalletId } from '../http/money-schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';

const RateText = Type.Union(
  [
    Type.String({ maxLength: 40 }),
    // A number with at most 15 significant digits reads back exactly (fx/rates.ts); prefer strings.
    Type.Number({ exclusiveMinimum: 0 }),
  ],
  {
    description:
      'Units of the quote currency one unit of the base buys: a decimal string such as "1.0842", at most 12 integer and 15 decimal digits. A JSON number is taken when it has at most 15 significant digits and no exponent, as it then reads back exactly.',
    examples: ['1.0842'],
  },
);

const DecimalRate = Type.String({ description: 'An exact decimal string.', examples: ['1.0842'] });

const quote_id_example = 'fxq_01jd0w3n3w8m5t5vq6fz1y2k3h';

export const CreateFxRateBody = Type.Object(
  {
    base: Currency,
    quote: Currency,
    rate: RateText,
    as_of: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When the rate held; default now. Not in the future.',
      }),
    ),
  },
  { additionalProperties: false, examples: [{ base: 'EUR', quote: 'USD', rate: '1.0842' }] },
);

export const FxRate = Type.Object(
  {
    id: Type.String({ examples: ['fxr_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('fx_rate'),
    livemode: Type.Boolean(),
    base: Type.String({ examples: ['EUR'] }),
    quote: Type.String({ examples: ['USD'] }),
    rate: DecimalRate,
    source: Type.Union([Type.Literal('api'), Type.Literal('ecb')]),
    as_of: Timestamp,
    created_at: Timestamp,
  },
  { additionalProperties: false },
);

export const FxRateListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    base: Type.Optional(Currency),
    quote: Type.Optional(Currency),
    source: Type.Optional(Type.Union([Type.Literal('api'), Type.Literal('ecb')])),
  }),
]);

export const ImportFxRatesBody = Type.Object(
  {
    format: Type.Literal('ecb', { description: "The ECB's euro reference-rate XML (eurofxref)." }),
    xml: Type.String({ minLength: 1, maxLength: 4_000_000, description: 'The file as published.' }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        format: 'ecb',
        xml: "<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'><Cube><Cube time='2026-12-01'><Cube currency='USD' rate='1.0842'/></Cube></Cube></gesmes:Envelope>",
      },
    ],
  },
);

export const FxRateImport = Type.Object(
  {
    object: Type.Literal('fx_rate_import'),
    source: Type.Literal('ecb'),
    recorded: Type.Integer({ description: 'Rates newly recorded.' }),
    corrected: Type.Integer({
      description: 'Rates published again for the same time with another value: replaced.',
    }),
    unchanged: Type.Integer({ description: 'Rates this file had already given.' }),
    skipped_currencies: Type.Array(Type.String(), {
      description: 'Currencies in the file that are not assets here.',
    }),
    as_of: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
);

export const CreateFxQuoteBody = Type.Object(
  {
    source_currency: Currency,
    target_currency: Currency,
    source_amount: Type.Optional({
      ...Amount,
      description: 'What the customer pays; give this or target_amount.',
    }),
    target_amount: Type.Optional({
      ...Amount,
      description: 'What the customer receives; give this or source_amount.',
    }),
    holder_id: Type.Optional(
      Type.String({ maxLength: 64, description: "Set: only this holder's wallets may use the quote." }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ source_currency: 'EUR', target_currency: 'USD', source_amount: '100.00' }],
  },
);

export const FxQuote = Type.Object(
  {
    id: Type.String({ examples: [quote_id_example] }),
    object: Type.Literal('fx_quote'),
    livemode: Type.Boolean(),
    status: Type.Union([Type.Literal('open'), Type.Literal('used'), Type.Literal('expired')]),
    holder_id: Type.Union([Type.String(), Type.Null()]),
    source_currency: Type.String({ examples: ['EUR'] }),
    target_currency: Type.String({ examples: ['USD'] }),
    source_amount: Type.String({ examples: ['100.00'] }),
    target_amount: Type.String({ examples: ['108.31'] }),
    rate: { ...DecimalRate, description: 'The rate the customer gets: the mid rate less the spread.' },
    mid_rate: DecimalRate,
    spread_bps: Type.Integer({ description: "The platform's spread, in hundredths of a percent." }),
    spread_amount: Type.String({
      description: 'What the mid rate would have paid, less target_amount: the platform keeps it.',
      examples: ['0.10'],
    }),
    rate_source: Type.String({ examples: ['ecb'] }),
    rate_as_of: Timestamp,
    conversion_id: Type.Union([Type.String(), Type.Null()]),
    expires_at: Timestamp,
    created_at: Timestamp,
  },
  { additionalProperties: false },
);

export const CreateConversionBody = Type.Object(
  {
    quote_id: Type.Optional(
      Type.String({ maxLength: 64, description: 'A quote of this holder that is open.' }),
    ),
    source_wallet_id: WalletId,
    target_wallet_id: WalletId,
    source_amount: Type.Optional({
      ...Amount,
      description:
        'Without a quote: convert this much at the current rate. To fix the amount received, get a quote.',
    }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        quote_id: quote_id_example,
        source_wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
        target_wallet_id: 'wal_01jd0w3p0c2xq3hrgq3kq4m9dv',
      },
    ],
  },
);

export const Conversion = Type.Object(
  {
    id: Type.String({ examples: ['cnv_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('conversion'),
    livemode: Type.Boolean(),
    kind: Type.Union([Type.Literal('conversion'), Type.Literal('transfer'), Type.Literal('payout')], {
      description: "Between a holder's wallets, or made by a transfer or payout that converted on its way.",
    }),
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('reversed')], {
      description: 'reversed: the payout it was made for failed or came back, and the conversion was undone.',
    }),
    holder_id: Type.Union([Type.String(), Type.Null()]),
    quote_id: Type.Union([Type.String(), Type.Null()]),
    source_wallet_id: Type.String(),
    target_wallet_id: Type.Union([Type.String(), Type.Null()], { description: 'Null for a payout.' }),
    source_currency: Type.String({ examples: ['EUR'] }),
    target_currency: Type.String({ examples: ['USD'] }),
    source_amount: Type.String({ examples: ['100.00'] }),
    target_amount: Type.String({ examples: ['108.31'] }),
    rate: DecimalRate,
    mid_rate: DecimalRate,
    spread_bps: Type.Integer(),
    spread_amount: Type.String({ examples: ['0.10'] }),
    rate_source: Type.String({ examples: ['ecb'] }),
    ledger_transaction_id: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    metadata: Metadata,
    created_at: Timestamp,
    reversed_at: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
);

export const ConversionListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    holder_id: Type.Optional(Type.String({ maxLength: 64 })),
    wallet_id: Type.Optional(Type.String({ maxLength: 64, description: 'As source or target.' })),
  }),
]);

export const FxReportQuery = Type.Object({
  created_gte: Type.Optional(Type.String({ format: 'date-time' })),
  created_lt: Type.Optional(Type.String({ format: 'date-time' })),
});

export const FxReport = Type.Object(
  {
    object: Type.Literal('fx_report'),
    livemode: Type.Boolean(),
    positions: Type.Array(
      Type.Object({
        currency: Type.String({ examples: ['USD'] }),
        position: Type.String({
          description: 'What conversions bought of the currency less what they sold (negative: sold).',
          examples: ['-1083.10'],
        }),
        spread_earned: Type.String({
          description: 'Spread kept in this currency, all time.',
          examples: ['1.08'],
        }),
      }),
    ),
    pairs: Type.Array(
      Type.Object({
        source_currency: Type.String(),
        target_currency: Type.String(),
        conversions: Type.Integer(),
        source_volume: Type.String(),
        target_volume: Type.String(),
        spread_earned: Type.String({ description: 'In the target currency.' }),
      }),
      { description: 'Conversions created in the period (created_gte, created_lt), by pair.' },
    ),
  },
  { additionalProperties: false },
);
