import { type Static, Type } from '@sinclair/typebox';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';
import { rejection_codes, requires_input_codes, session_statuses } from './outcomes.js';

/**
 * A verification session, shaped after Stripe Identity's VerificationSession: created for a holder
 * with what is known, updated with what was missing, decided by the verifier (docs/identity.md).
 * Every input field is optional in the schema: what a verification still needs is the session's
 * `missing_fields`, not a 400, so input can arrive in several steps.
 */

const Text = (max: number, example: string) =>
  Type.String({ minLength: 1, maxLength: max, examples: [example] });
const Country = Type.String({
  pattern: '^[A-Z]{2}$',
  description: 'ISO 3166-1 alpha-2 country code.',
  examples: ['GB'],
});
const Day = Type.String({
  format: 'date',
  description: 'A calendar day, YYYY-MM-DD.',
  examples: ['1990-04-12'],
});
const FileId = Type.String({ minLength: 1, maxLength: 64, examples: ['file_01jd0w3n3w8m5t5vq6fz1y2k3h'] });

export const Address = Type.Object(
  {
    line1: Type.Optional(Text(200, '12 Analytical Row')),
    line2: Type.Optional(Text(200, 'Flat 3')),
    city: Type.Optional(Text(100, 'London')),
    postal_code: Type.Optional(Text(20, 'SW1A 1AA')),
    state: Type.Optional(Text(100, 'Greater London')),
    country: Type.Optional(Country),
  },
  { additionalProperties: false },
);

export const IdDocument = Type.Object(
  {
    type: Type.Optional(
      Type.Union([Type.Literal('passport'), Type.Literal('id_card'), Type.Literal('driving_license')]),
    ),
    number: Type.Optional(Text(50, '502135326')),
    issuing_country: Type.Optional(Country),
    expires_on: Type.Optional(Day),
    front_file: Type.Optional({ ...FileId, description: 'A file uploaded with purpose identity_document.' }),
    back_file: Type.Optional({ ...FileId, description: 'The back, for cards; purpose identity_document.' }),
  },
  { additionalProperties: false },
);

export const PersonInput = Type.Object(
  {
    first_name: Type.Optional(Text(100, 'Ada')),
    last_name: Type.Optional(Text(100, 'Lovelace')),
    dob: Type.Optional({ ...Day, description: 'Date of birth.' }),
    address: Type.Optional(Address),
    id_document: Type.Optional(IdDocument),
    proof_of_address_file: Type.Optional({
      ...FileId,
      description: 'A file uploaded with purpose proof_of_address.',
    }),
  },
  { additionalProperties: false },
);

const Percent = Type.String({
  pattern: '^(100(\\.0{1,2})?|[0-9]{1,2}(\\.[0-9]{1,2})?)$',
  description: 'Share of the business owned, 0 to 100 with up to 2 decimals, as a string.',
  examples: ['60'],
});

export const Owner = Type.Object(
  {
    first_name: Type.Optional(Text(100, 'Grace')),
    last_name: Type.Optional(Text(100, 'Hopper')),
    dob: Type.Optional(Day),
    ownership_percent: Type.Optional(Percent),
  },
  { additionalProperties: false },
);

export const owners_max = 10;
export const business_documents_max = 5;

export const BusinessInput = Type.Object(
  {
    legal_name: Type.Optional(Text(200, 'Analytical Engines Ltd')),
    registration_number: Type.Optional(Text(50, '09876543')),
    country: Type.Optional(Country),
    address: Type.Optional(Address),
    owners: Type.Optional(
      Type.Array(Owner, {
        maxItems: owners_max,
        description: 'Beneficial owners; replaced as a whole on update. Their shares add up to at most 100.',
      }),
    ),
    documents: Type.Optional(
      Type.Array(FileId, {
        maxItems: business_documents_max,
        uniqueItems: true,
        description: 'Files uploaded with purpose business_document (a registry extract).',
      }),
    ),
  },
  { additionalProperties: false },
);

export type PersonInputValue = Static<typeof PersonInput>;
export type BusinessInputValue = Static<typeof BusinessInput>;

const person_example = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  dob: '1990-04-12',
  address: { line1: '12 Analytical Row', city: 'London', postal_code: 'SW1A 1AA', country: 'GB' },
  id_document: {
    type: 'passport',
    number: '502135326',
    issuing_country: 'GB',
    expires_on: '2031-01-31',
    front_file: 'file_01jd0w3n3w8m5t5vq6fz1y2k3h',
  },
};

export const CreateSessionBody = Type.Object(
  {
    type: Type.Union([Type.Literal('person'), Type.Literal('business')], {
      description: 'person: KYC of an individual; business: KYB of a company and its owners.',
    }),
    person: Type.Optional(PersonInput),
    business: Type.Optional(BusinessInput),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      { type: 'person', person: person_example },
      {
        type: 'business',
        business: {
          legal_name: 'Analytical Engines Ltd',
          registration_number: '09876543',
          country: 'GB',
          owners: [{ first_name: 'Grace', last_name: 'Hopper', dob: '1976-12-09', ownership_percent: '60' }],
        },
      },
    ],
  },
);

export const UpdateSessionBody = Type.Object(
  {
    person: Type.Optional(PersonInput),
    business: Type.Optional(BusinessInput),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    description: 'Fields given replace those of the session (address and id_document field by field).',
    examples: [{ person: { id_document: { front_file: 'file_01jd0w3n3w8m5t5vq6fz1y2k3h' } } }],
  },
);

export const RejectSessionBody = Type.Object(
  {
    code: Type.Optional(
      Type.Union(
        rejection_codes.filter((code) => code !== 'under_age').map((code) => Type.Literal(code)),
        { description: 'Why; sanctions_match also blocks the holder. Default operator_rejected.' },
      ),
    ),
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, examples: ['Document photo altered'] }),
    ),
  },
  { additionalProperties: false, examples: [{ code: 'sanctions_match', reason: 'Confirmed listed person' }] },
);

const SanctionsMatch = Type.Object({
  party: Type.String({
    description: 'Which name matched: holder, person, business or owners[i].',
    examples: ['owners[0]'],
  }),
  entry_id: Type.String({ description: "The list entry's number (ent_num).", examples: ['9000102'] }),
  listed_name: Type.String({ examples: ['KESTRELL, Odina'] }),
  programs: Type.Array(Type.String(), { examples: [['NPWMD']] }),
  score: Type.Number({ minimum: 0, maximum: 1, examples: [0.91] }),
});

export const VerificationSession = Type.Object(
  {
    id: Type.String({ examples: ['vs_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('verification_session'),
    livemode: Type.Boolean(),
    holder_id: Type.String({ examples: ['hol_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    type: Type.Union([Type.Literal('person'), Type.Literal('business')]),
    status: Type.Union(session_statuses.map((status) => Type.Literal(status))),
    last_error: Type.Union([
      Type.Object({
        code: Type.Union([...rejection_codes, ...requires_input_codes].map((code) => Type.Literal(code))),
        reason: Type.String(),
      }),
      Type.Null(),
    ]),
    missing_fields: Type.Array(Type.String(), {
      description: 'Input still needed, by path, while requires_input.',
      examples: [['person.dob', 'person.address.country']],
    }),
    provided_fields: Type.Array(Type.String(), {
      description: 'Which input the session holds, by path; the values themselves are never returned.',
      examples: [['person.first_name', 'person.last_name', 'person.dob']],
    }),
    review: Type.Union(
      [
        Type.Object({
          reason: Type.Union([Type.Literal('sanctions'), Type.Literal('manual')]),
          sanctions_matches: Type.Array(SanctionsMatch),
        }),
        Type.Null(),
      ],
      { description: 'Set while processing: what an operator decides with approve or reject.' },
    ),
    verified_tier: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The tier the verification gave the holder.',
    }),
    files: Type.Array(Type.String(), { description: 'Files the input refers to.' }),
    metadata: Type.Record(Type.String(), Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'VerificationSession' },
);

export const SessionListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    holder_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(Type.Union(session_statuses.map((status) => Type.Literal(status)))),
  }),
]);

export type CreateSessionInput = Static<typeof CreateSessionBody>;
export type UpdateSessionInput = Static<typeof UpdateSessionBody>;
export type RejectSessionInput = Static<typeof RejectSessionBody>;
export type SessionFilter = Static<typeof SessionListQuery>;
