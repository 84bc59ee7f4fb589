import { Type } from '@sinclair/typebox';
import { PageQuerystring, Timestamp } from '../http/schemas.js';
import { event_catalogue, event_types } from './catalogue.js';

/** Every type with its meaning, so the catalogue is part of the OpenAPI document. */
export const EventTypeSchema = Type.Union(
  event_types.map((type) => Type.Literal(type, { description: event_catalogue[type] })),
  { description: 'What happened; see the event catalogue (docs/events.md).' },
);

export const EventPattern = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^(\\*|[a-z_]+(\\.[a-z_]+)*(\\.\\*)?)$',
  description: 'An event type, a prefix pattern such as `transfer.*`, or `*` for every type.',
  examples: ['transfer.*'],
});

const example_transfer = {
  id: 'tr_01jd0w3n3w8m5t5vq6fz1y2k3h',
  object: 'transfer',
  livemode: false,
  status: 'posted',
  source_wallet_id: 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h',
  amount: '10.00',
  currency: 'USD',
};

export const Event = Type.Object(
  {
    id: Type.String({ examples: ['evt_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('event'),
    type: EventTypeSchema,
    livemode: Type.Boolean(),
    created_at: Timestamp,
    data: Type.Object(
      {
        object: Type.Object(
          { id: Type.String(), object: Type.String() },
          {
            additionalProperties: true,
            description: 'The object after the change, exactly as the API returns it.',
          },
        ),
      },
      { examples: [{ object: example_transfer }] },
    ),
  },
  {
    $id: 'Event',
    description: 'A state change. Also the body of every webhook delivery.',
  },
);

export const EventListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    type: Type.Optional(EventPattern),
    object_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Events about this object.' }),
    ),
    created_gte: Type.Optional(Type.String({ format: 'date-time' })),
    created_lt: Type.Optional(Type.String({ format: 'date-time' })),
  }),
]);

export const StreamQuery = Type.Object({
  type: Type.Optional(EventPattern),
});
