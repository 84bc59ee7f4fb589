import { Type } from '@sinclair/typebox';
import { EventPattern } from '../events/schemas.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';

const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description:
    'http or https. In live mode it must not resolve to a loopback, private or link-local address. Redirects are not followed.',
  examples: ['https://example.com/purse/webhooks'],
});
const EnabledEvents = Type.Array(EventPattern, {
  minItems: 1,
  maxItems: 100,
  description: 'Event types, prefix patterns such as `transfer.*`, or `*` for every type.',
  examples: [['transfer.*', 'wallet.frozen']],
});
const Description = Type.String({ maxLength: 1000 });

export const WebhookEndpoint = Type.Object(
  {
    id: Type.String({ examples: ['we_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('webhook_endpoint'),
    livemode: Type.Boolean(),
    url: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    enabled_events: Type.Array(Type.String()),
    status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
    disabled_reason: Type.Union(
      [Type.Literal('requested'), Type.Literal('failing'), Type.Literal('gone'), Type.Null()],
      {
        description:
          'requested: by the API; failing: every attempt failed for a whole retry schedule; gone: the endpoint answered 410.',
      },
    ),
    previous_secret_expires_at: Type.Union([Timestamp, Type.Null()], {
      description: 'After a rotation: until when the previous secret also signs.',
    }),
    failing_since: Type.Union([Timestamp, Type.Null()], {
      description: 'When the current run of failed attempts began; null after a success.',
    }),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
    secret: Type.Optional(
      Type.String({
        description: 'The signing secret (`whsec_...`): only in the responses that create or rotate it.',
        examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      }),
    ),
  },
  { $id: 'WebhookEndpoint' },
);

export const CreateEndpointBody = Type.Object(
  {
    url: Url,
    enabled_events: EnabledEvents,
    description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [{ url: 'https://example.com/purse/webhooks', enabled_events: ['transfer.*', 'wallet.*'] }],
  },
);

export const UpdateEndpointBody = Type.Object(
  {
    url: Type.Optional(Url),
    enabled_events: Type.Optional(EnabledEvents),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    disabled: Type.Optional(
      Type.Boolean({
        description: 'true disables the endpoint; false enables it again and clears its failures.',
      }),
    ),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, examples: [{ enabled_events: ['*'], disabled: false }] },
);

export const RotateSecretBody = Type.Object(
  {
    grace_period_s: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'How long the old secret keeps signing too (default 86400; at most 604800; 0: stop at once).',
      }),
    ),
  },
  { additionalProperties: false, examples: [{ grace_period_s: 3600 }] },
);

export const ReplayBody = Type.Object(
  {
    event_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Send this one event again.' }),
    ),
    since: Type.Optional(
      Type.String({
        format: 'date-time',
        description: "Send again every event since this time that matches the endpoint's enabled_events.",
      }),
    ),
  },
  { additionalProperties: false, examples: [{ since: '2026-11-21T12:00:00.000Z' }] },
);

export const ReplayResult = Type.Object({
  object: Type.Literal('webhook_replay'),
  endpoint_id: Type.String(),
  queued: Type.Integer({ description: 'Deliveries queued.' }),
});

export const DeletedEndpoint = Type.Object({
  id: Type.String(),
  object: Type.Literal('webhook_endpoint'),
  deleted: Type.Literal(true),
});

const Attempt = Type.Object({
  attempt: Type.Integer(),
  status_code: Type.Union([Type.Integer(), Type.Null()], { description: 'null: no HTTP response.' }),
  error: Type.Union([Type.String(), Type.Null()], { examples: ['timed out after 10000 ms'] }),
  latency_ms: Type.Integer(),
  response_excerpt: Type.Union([Type.String(), Type.Null()], {
    description:
      'The start of the response body, control characters removed; null when there was no response or it came from an address that is not public (loopback, private, link-local...), whose bodies are never read.',
  }),
  created_at: Timestamp,
});

export const Delivery = Type.Object(
  {
    id: Type.String({ examples: ['whd_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('webhook_delivery'),
    endpoint_id: Type.String(),
    event_id: Type.String(),
    event_type: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    replay: Type.Boolean({ description: 'Queued by a replay rather than by the event itself.' }),
    attempt_count: Type.Integer(),
    next_attempt_at: Type.Union([Timestamp, Type.Null()]),
    attempts: Type.Array(Attempt, { description: 'Every recorded attempt, oldest first.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'WebhookDelivery' },
);

export const DeliveryListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    status: Type.Optional(
      Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    ),
    event_id: Type.Optional(Type.String({ maxLength: 64 })),
  }),
]);
