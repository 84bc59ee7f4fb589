import { Type } from '@sinclair/typebox';
import { Metadata, Timestamp } from '../http/schemas.js';

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
    secret: Type.Optional(
      Type.String({ description: 'The full secret: returned once, when the key is created.' }),
    ),
  },
  { $id: 'ApiKey' },
);

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
    expires_at: Type.Optional(Timestamp),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'Reporting job', mode: 'test', scopes: ['holders:read'], expires_at: '2027-01-01T00:00:00Z' },
    ],
  },
);
