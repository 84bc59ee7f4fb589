import { type TSchema, Type } from '@sinclair/typebox';
import { defaultLimits } from '../config.js';
import { catalogue, type ErrorCode } from '../shared/errors.js';

/** Schemas shared by every resource: problems, lists, pagination and metadata. */

export const Problem = Type.Object(
  {
    type: Type.String({ examples: ['urn:purse:problem:invalid_request'] }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    // Every code of the catalogue, so generated clients (packages/sdk) type `code` as their union.
    code: Type.Unsafe<ErrorCode>({
      type: 'string',
      enum: Object.keys(catalogue),
      examples: ['invalid_request'],
    }),
    param: Type.Optional(Type.String({ examples: ['email'] })),
    request_id: Type.String({ examples: ['req_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
  },
  { $id: 'Problem', description: 'An RFC 9457 problem document.' },
);

export const ProblemRef = Type.Ref('Problem');

export const Metadata = Type.Record(
  Type.String({ minLength: 1, maxLength: defaultLimits.metadata_key_chars_max }),
  Type.String({ maxLength: defaultLimits.metadata_value_chars_max }),
  {
    maxProperties: defaultLimits.metadata_keys_max,
    // TypeBox turns the key schema into a pattern, which drops its length limits; say them again.
    propertyNames: { minLength: 1, maxLength: defaultLimits.metadata_key_chars_max },
    description: `Up to ${defaultLimits.metadata_keys_max} string pairs of your own. On update, a key set to "" is removed.`,
    examples: [{ order_id: '6735' }],
  },
);

export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-21T12:00:00.000Z'] });

export const PageQuerystring = Type.Object({
  limit: Type.Integer({
    minimum: 1,
    maximum: defaultLimits.page_size_max,
    default: defaultLimits.page_size_default,
    description: 'Page size.',
  }),
  starting_after: Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'Id of the last object of the previous page: returns older objects.',
    }),
  ),
  ending_before: Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'Id of the first object of the next page: returns newer objects.',
    }),
  ),
});

export function ListOf<T extends TSchema>(item: T) {
  return Type.Object({
    object: Type.Literal('list'),
    data: Type.Array(item),
    has_more: Type.Boolean(),
  });
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Responses every authenticated endpoint can give, for the OpenAPI document. */
export const errorResponses = {
  400: ProblemRef,
  401: ProblemRef,
  403: ProblemRef,
  404: ProblemRef,
  409: ProblemRef,
  422: ProblemRef,
};
