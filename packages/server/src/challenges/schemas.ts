import { Type } from '@sinclair/typebox';
import { Approval } from '../approvals/schemas.js';
import { PageQuerystring, Timestamp } from '../http/schemas.js';

const Status = Type.Union(
  [
    Type.Literal('requires_action'),
    Type.Literal('succeeded'),
    Type.Literal('failed'),
    Type.Literal('expired'),
    Type.Literal('canceled'),
  ],
  {
    description:
      "requires_action: waiting for the holder's code. succeeded: the code was right and the request ran once; `result` holds what it answered. failed: out of attempts. expired or canceled: never run.",
  },
);

const Channel = Type.Union([Type.Literal('email'), Type.Literal('totp'), Type.Literal('sandbox')], {
  description:
    "Where the code comes from: the holder's authenticator app (totp), an email, or in test mode the sandbox (POST /v1/test_helpers/challenges/:id/reveal_code shows it).",
});

export const Challenge = Type.Object(
  {
    id: Type.String({ examples: ['chl_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('challenge'),
    livemode: Type.Boolean(),
    status: Status,
    purpose: Type.Union([Type.Literal('payment'), Type.Literal('sign_in')]),
    holder_id: Type.String({ description: 'The holder who confirms with the code.' }),
    channel: Channel,
    attempts_remaining: Type.Integer({ minimum: 0 }),
    request: Type.Union(
      [
        Type.Object({
          method: Type.String({ examples: ['POST'] }),
          path: Type.String({ examples: ['/v1/transfers'] }),
          request_id: Type.Union([Type.String(), Type.Null()]),
        }),
        Type.Null(),
      ],
      { description: 'The request waiting for the code (its body is kept, not shown).' },
    ),
    api_key_id: Type.Union([Type.String(), Type.Null()], {
      description: 'The key that made the request; it runs on its behalf.',
    }),
    risk_rule_id: Type.Union([Type.String(), Type.Null()], {
      description: 'The rule that asked for the code.',
    }),
    amount: Type.Union([Type.String({ examples: ['750.00'] }), Type.Null()]),
    currency: Type.Union([Type.String({ examples: ['USD'] }), Type.Null()]),
    expires_at: Timestamp,
    confirmed_at: Type.Union([Timestamp, Type.Null()]),
    result: Type.Union([Type.Object({ status: Type.Integer(), body: Type.Unknown() }), Type.Null()], {
      description: 'Once succeeded: the status and body the request answered when it ran.',
    }),
    created_at: Timestamp,
  },
  { $id: 'Challenge' },
);

export const ChallengeListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    holder_id: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(Status),
  }),
]);

export const Code = Type.String({
  pattern: '^[0-9]{6}$',
  description: 'The six-digit code the holder received or their authenticator app shows.',
  examples: ['492817'],
});

export const ConfirmChallengeBody = Type.Object(
  { code: Code },
  { additionalProperties: false, examples: [{ code: '492817' }] },
);

export const ChallengeCode = Type.Object(
  {
    object: Type.Literal('challenge_code'),
    challenge: Type.String(),
    code: Code,
  },
  { $id: 'ChallengeCode' },
);

export const Authenticator = Type.Object(
  {
    object: Type.Literal('authenticator'),
    holder_id: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('active')], {
      description: 'pending: enrolled, waiting for a first code from the app. active: answers challenges.',
    }),
    secret: Type.Optional(
      Type.String({ description: 'Base32, shown once at enrollment; the app scans `uri` or takes this.' }),
    ),
    uri: Type.Optional(Type.String({ description: 'The otpauth:// URI for a QR code, shown once.' })),
    activated_at: Type.Union([Timestamp, Type.Null()]),
    created_at: Timestamp,
  },
  { $id: 'Authenticator' },
);

export const ActivateAuthenticatorBody = ConfirmChallengeBody;

export const DeletedAuthenticator = Type.Object(
  { object: Type.Literal('authenticator'), holder_id: Type.String(), deleted: Type.Literal(true) },
  { $id: 'DeletedAuthenticator' },
);

/** What a money endpoint answers with 202: the request is kept, not run (yet). */
export const Parked = Type.Union([Approval, Challenge], {
  description:
    "Kept, not run: an approval (object approval) until an operator decides, or a challenge (object challenge) until the wallet's holder confirms it with a one-time code.",
});
