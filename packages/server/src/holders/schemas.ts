import { Type } from '@sinclair/typebox';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';

export const kyc_statuses = ['unverified', 'pending', 'verified', 'rejected'] as const;
export const kyc_tier_max = 9;

const KycStatus = Type.Union(
  kyc_statuses.map((status) => Type.Literal(status)),
  { description: 'Where the holder stands in your KYC process.' },
);
const KycTier = Type.Integer({
  minimum: 0,
  maximum: kyc_tier_max,
  description: 'Selects limits such as maximum balance and daily outflow.',
});
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Email = Type.String({ format: 'email', maxLength: 254 });
const ExternalId = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Your id for this holder; unique per mode.',
});

export const Holder = Type.Object(
  {
    id: Type.String({ examples: ['hol_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('holder'),
    livemode: Type.Boolean(),
    name: Type.Union([Type.String(), Type.Null()]),
    email: Type.Union([Type.String(), Type.Null()]),
    external_id: Type.Union([Type.String(), Type.Null()]),
    kyc_status: KycStatus,
    kyc_tier: Type.Integer(),
    test_clock: Type.Union([Type.String(), Type.Null()], {
      description: 'The test clock the holder lives in, if any.',
    }),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Holder' },
);

const example = {
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  external_id: 'user_1842',
  metadata: { plan: 'pro' },
};

export const CreateHolderBody = Type.Object(
  {
    name: Type.Optional(Name),
    email: Type.Optional(Email),
    external_id: Type.Optional(ExternalId),
    kyc_status: Type.Optional(KycStatus),
    kyc_tier: Type.Optional(KycTier),
    test_clock: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          "Test mode: the holder lives in this test clock's time from now on (its subscriptions, invoices and usage).",
      }),
    ),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, examples: [example] },
);

export const UpdateHolderBody = Type.Object(
  {
    name: Type.Optional(Type.Union([Name, Type.Null()])),
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    external_id: Type.Optional(Type.Union([ExternalId, Type.Null()])),
    kyc_status: Type.Optional(KycStatus),
    kyc_tier: Type.Optional(KycTier),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [{ kyc_status: 'verified', kyc_tier: 2, metadata: { plan: '' } }],
  },
);

export const HolderListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    external_id: Type.Optional(ExternalId),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    kyc_status: Type.Optional(KycStatus),
  }),
]);
