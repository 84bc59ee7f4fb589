import { Type } from '@sinclair/typebox';
import { partner_scopes } from '../auth/partner-scopes.js';
import { Metadata, PageQuerystring, Timestamp } from '../http/schemas.js';
import { SpendPolicy } from '../policies/schemas.js';

const PartnerScope = Type.Union(
  partner_scopes.map((scope) => Type.Literal(scope)),
  { description: 'wallets:read (balances), transactions:read, payments:write (transfers within limits).' },
);
const RedirectUri = Type.String({
  minLength: 1,
  maxLength: 2048,
  description:
    'An absolute https URL without a fragment; in test mode also http://localhost or http://127.0.0.1.',
  examples: ['https://budget.example.com/purse/callback'],
});

const client_example = {
  id: 'oac_01jd0w3n3w8m5t5vq6fz1y2k3h',
  object: 'oauth_client',
  livemode: false,
  name: 'Budget Buddy',
  redirect_uris: ['https://budget.example.com/purse/callback'],
  scopes: ['wallets:read', 'transactions:read', 'payments:write'],
  spend_policy: { limits: [{ currency: 'USD', per_movement_max: '50.00', daily_max: '200.00' }] },
  redacted_secret: 'pcs_test_...x9Qa',
  tls_client_auth_subject_dn: null,
  metadata: {},
  revoked_at: null,
  created_at: '2026-12-02T05:00:00.000Z',
};

export const OAuthClient = Type.Object(
  {
    id: Type.String({ description: 'The client_id the app sends to the authorization server.' }),
    object: Type.Literal('oauth_client'),
    livemode: Type.Boolean(),
    name: Type.String({ description: 'Shown to holders on the consent page.' }),
    redirect_uris: Type.Array(Type.String()),
    scopes: Type.Array(Type.String(), { description: 'The partner scopes the app may ask for.' }),
    spend_policy: Type.Union([SpendPolicy, Type.Null()], {
      description: 'The limits every consent granting payments:write gets.',
    }),
    redacted_secret: Type.Union([Type.String(), Type.Null()], {
      description: 'Null for an app that authenticates with mutual TLS.',
    }),
    tls_client_auth_subject_dn: Type.Union([Type.String(), Type.Null()], {
      description:
        'Set: the app authenticates with a client certificate of this subject (RFC 8705 tls_client_auth) and its access tokens are bound to that certificate.',
    }),
    metadata: Type.Record(Type.String(), Type.String()),
    revoked_at: Type.Union([Timestamp, Type.Null()], {
      description: 'When the app was deleted: its tokens and consents stopped working then.',
    }),
    created_at: Timestamp,
    client_secret: Type.Optional(
      Type.String({
        description:
          'Only in the response that registered an app authenticating with a secret: stored hashed, never shown again.',
        examples: ['pcs_test_4hV8pQ0sZ2mN7cR1tY6uW3xK9bL5dF0gJ8aE2iO7'],
      }),
    ),
  },
  {
    $id: 'OAuthClient',
    examples: [{ ...client_example, client_secret: 'pcs_test_4hV8pQ0sZ2mN7cR1tY6uW3xK9bL5dF0gJ8aE2iO7' }],
  },
);

export const CreateOAuthClientBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    redirect_uris: Type.Array(RedirectUri, { minItems: 1, maxItems: 10, uniqueItems: true }),
    scopes: Type.Array(PartnerScope, { minItems: 1, maxItems: 3, uniqueItems: true }),
    spend_policy: Type.Optional({
      ...SpendPolicy,
      description: 'Required with payments:write: the limits of the payments the app may initiate.',
    }),
    tls_client_auth_subject_dn: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description:
          'Instead of a client_secret: the subject DN (RFC 4514) of the certificate the app presents over mutual TLS, signed by a CA of TLS_CLIENT_CA. Its access tokens are bound to that certificate (RFC 8705).',
        examples: ['CN=budget-buddy,O=Budget Buddy Ltd,C=GB'],
      }),
    ),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'Budget Buddy',
        redirect_uris: ['https://budget.example.com/purse/callback'],
        scopes: ['wallets:read', 'transactions:read', 'payments:write'],
        spend_policy: { limits: [{ currency: 'USD', per_movement_max: '50.00', daily_max: '200.00' }] },
      },
    ],
  },
);

export const Consent = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('consent'),
    livemode: Type.Boolean(),
    client_id: Type.String(),
    holder_id: Type.String(),
    scopes: Type.Array(Type.String()),
    wallet_ids: Type.Array(Type.String(), { description: 'The only wallets the app may see and pay from.' }),
    spend_policy: Type.Union([SpendPolicy, Type.Null()]),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
    revoked_at: Type.Union([Timestamp, Type.Null()]),
    revoked_by: Type.Union([Type.String(), Type.Null()], {
      description:
        "An API key id, 'holder', or 'client' (the app revoked its refresh token, or reused a code).",
    }),
    expires_at: Timestamp,
    created_at: Timestamp,
  },
  {
    $id: 'Consent',
    examples: [
      {
        id: 'cns_01jd0w3n3w8m5t5vq6fz1y2k3h',
        object: 'consent',
        livemode: false,
        client_id: 'oac_01jd0w3n3w8m5t5vq6fz1y2k3h',
        holder_id: 'hol_01jd0w3n3w8m5t5vq6fz1y2k3h',
        scopes: ['wallets:read', 'payments:write'],
        wallet_ids: ['wal_01jd0w3n3w8m5t5vq6fz1y2k3h'],
        spend_policy: { limits: [{ currency: 'USD', per_movement_max: '50.00', daily_max: '200.00' }] },
        status: 'active',
        revoked_at: null,
        revoked_by: null,
        expires_at: '2027-12-02T05:00:00.000Z',
        created_at: '2026-12-02T05:00:00.000Z',
      },
    ],
  },
);

export const ConsentListQuery = Type.Composite([
  PageQuerystring,
  Type.Object({
    holder_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('revoked')])),
  }),
]);

export const RevokeConsentBody = Type.Object(
  {
    requested_by: Type.Optional(
      Type.Union([Type.Literal('platform'), Type.Literal('holder')], {
        description:
          "holder: the platform revokes at its holder's request (its own app, where the holder is signed in); recorded as revoked_by 'holder'. platform (the default): recorded with the key's id.",
      }),
    ),
  },
  { additionalProperties: false, examples: [{ requested_by: 'holder' }] },
);
