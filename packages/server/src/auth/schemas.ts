import { Type } from '@sinclair/typebox';
import { defaultLimits } from '../config.js';
import { Metadata, Timestamp } from '../http/schemas.js';
import { SpendPolicy } from '../policies/schemas.js';
import { Restrictions } from './restrictions.js';

const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const ApiKey = Type.Object(
  {
    id: Type.String({ examples: ['key_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('api_key'),
    livemode: Type.Boolean(),
    name: Type.String(),
    redacted_secret: Type.String({ examples: ['sk_test_...x7Qa'] }),
    scopes: Type.Array(Type.String(), { examples: [['holders:read', 'holders:write']] }),
    api_version: Type.String({
      description: 'The Purse-Version this key is pinned to.',
      examples: ['2026-11-01'],
    }),
    expires_at: NullableTimestamp,
    revoked_at: NullableTimestamp,
    last_used_at: NullableTimestamp,
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    restrictions: Type.Union([Restrictions, Type.Null()]),
    spend_policy: Type.Union([SpendPolicy, Type.Null()]),
    rate_limit_requests_max: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Requests per rate-limit window; null: the server default.',
    }),
    rolled_at: NullableTimestamp,
    previous_secret_expires_at: Type.Union([Timestamp, Type.Null()], {
      description: 'After a roll: until when the previous secret still works.',
    }),
    secret: Type.Optional(
      Type.String({ description: 'The full secret: returned once, when the key is created or rolled.' }),
    ),
  },
  { $id: 'ApiKey' },
);

const RateLimit = Type.Integer({
  minimum: 1,
  maximum: 1_000_000,
  description: 'Requests per rate-limit window for this key, instead of the server default.',
});

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    mode: Type.Optional(
      Type.Union([Type.Literal('test'), Type.Literal('live')], {
        description: "Defaults to the calling key's mode. Only a live key may create keys in the other mode.",
      }),
    ),
    scopes: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        minItems: 1,
        maxItems: 100,
        uniqueItems: true,
        description:
          "resource:read, resource:write, resource:* or *. Defaults to the caller's scopes; never more than the caller holds.",
      }),
    ),
    expires_at: Type.Optional({
      ...Timestamp,
      description:
        "Never later than the calling key's own expiry; a calling key that expires must give one (no key outlives the key that made it).",
    }),
    metadata: Type.Optional(Metadata),
    restrictions: Type.Optional(Restrictions),
    spend_policy: Type.Optional(SpendPolicy),
    rate_limit_requests_max: Type.Optional(RateLimit),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'Reporting job', mode: 'test', scopes: ['holders:read'], expires_at: '2027-01-01T00:00:00Z' },
      {
        name: 'Shopping agent',
        scopes: ['transfers:write', 'wallets:read'],
        restrictions: { wallet_ids: ['wal_01jd0w3n3w8m5t5vq6fz1y2k3h'] },
        spend_policy: { limits: [{ currency: 'USD', daily_max: '50.00' }] },
      },
    ],
  },
);

export const UpdateApiKeyBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    metadata: Type.Optional(Metadata),
    spend_policy: Type.Optional(
      Type.Union([SpendPolicy, Type.Null()], { description: 'Replaces the policy; null removes it.' }),
    ),
    rate_limit_requests_max: Type.Optional(
      Type.Union([RateLimit, Type.Null()], { description: 'null: back to the server default.' }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ spend_policy: { limits: [{ currency: 'USD', daily_max: '80.00' }] } }],
  },
);

export const RollApiKeyBody = Type.Object(
  {
    grace_period_s: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: defaultLimits.key_roll_grace_s_max,
        description: `How long the old secret keeps working: 0 to ${defaultLimits.key_roll_grace_s_max} s, ${defaultLimits.key_roll_grace_s_default} by default.`,
      }),
    ),
  },
  { additionalProperties: false, examples: [{ grace_period_s: 3600 }] },
);
