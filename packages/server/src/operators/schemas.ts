import { Type } from '@sinclair/typebox';
import { Timestamp } from '../http/schemas.js';
import { password_length_max, password_length_min } from './passwords.js';
import { operator_roles } from './roles.js';

const Role = Type.Union(
  operator_roles.map((role) => Type.Literal(role)),
  {
    description:
      'admin: everything; finance: money and approvals; support: refunds, wallets, webhooks; viewer: reads.',
  },
);

const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^@\\s]+@[^@\\s]+$',
  examples: ['ann@example.com'],
});

export const Operator = Type.Object(
  {
    id: Type.String({ examples: ['op_01KB4M3Q7ZPJ0Y2F9W6D8N5T1R'] }),
    object: Type.Literal('operator'),
    email: Type.String({ examples: ['ann@example.com'] }),
    name: Type.String({ examples: ['Ann Example'] }),
    role: Role,
    disabled: Type.Boolean(),
    locked_until: Type.Union([Timestamp, Type.Null()], {
      description: 'Set while failed sign-ins lock the operator out.',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Operator' },
);

export const CreatedOperator = Type.Composite([
  Type.Omit(Operator, ['$id']),
  Type.Object({
    password: Type.Optional(
      Type.String({ description: 'Generated when none was given; shown only this once.' }),
    ),
    totp_secret: Type.String({ description: 'The authenticator app secret (base32); shown only this once.' }),
    totp_uri: Type.String({ description: 'otpauth:// URI for the app to scan; shown only this once.' }),
  }),
]);

export const CreateOperatorBody = Type.Object(
  {
    email: Email,
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['Ann Example'] }),
    role: Role,
    password: Type.Optional(Type.String({ minLength: password_length_min, maxLength: password_length_max })),
  },
  {
    additionalProperties: false,
    examples: [{ email: 'ann@example.com', name: 'Ann Example', role: 'finance' }],
  },
);

export const UpdateOperatorBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    role: Type.Optional(Role),
    disabled: Type.Optional(
      Type.Boolean({
        description: 'true ends every session and refuses sign-in; false also lifts a lock-out.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ role: 'viewer' }, { disabled: true }] },
);

export const SignInBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: password_length_max }),
    code: Type.String({
      pattern: '^[0-9]{6}$',
      description: 'What the authenticator app shows now.',
      examples: ['492817'],
    }),
  },
  {
    additionalProperties: false,
    examples: [{ email: 'ann@example.com', password: 'correct horse battery staple', code: '492817' }],
  },
);

export const OperatorSession = Type.Object(
  {
    object: Type.Literal('operator_session'),
    operator: Type.Omit(Operator, ['$id']),
    csrf_token: Type.String({
      description: 'Send it as X-CSRF-Token on every request that changes something.',
    }),
    expires_at: Timestamp,
  },
  { $id: 'OperatorSession' },
);
