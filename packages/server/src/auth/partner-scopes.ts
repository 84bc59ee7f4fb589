import type { Scope } from './scopes.js';

/**
 * What a holder can grant a partner app (docs/oauth.md). A partner token is also bound to the
 * consented wallets (restrictions) and, for payments, to the consent's spend policy; these say
 * which routes it may call at all and which internal scopes those routes check.
 */
export const partner_scopes = ['wallets:read', 'transactions:read', 'payments:write'] as const;
export type PartnerScope = (typeof partner_scopes)[number];

export const partner_scope_descriptions: Readonly<Record<PartnerScope, string>> = {
  'wallets:read': 'See your wallets and their balances',
  'transactions:read': "See your wallets' transactions and statements",
  'payments:write': 'Send payments from your wallets, within the limits shown',
};

export function isPartnerScope(value: string): value is PartnerScope {
  return (partner_scopes as readonly string[]).includes(value);
}

const internal_scopes: Readonly<Record<PartnerScope, readonly Scope[]>> = {
  'wallets:read': ['wallets:read', 'assets:read'],
  'transactions:read': ['wallets:read', 'transfers:read'],
  'payments:write': ['transfers:write', 'approvals:read', 'challenges:write'],
};

/** The scopes of Purse's own routes that a partner token with `granted` holds. */
export function internalScopes(granted: readonly string[]): string[] {
  const scopes = new Set<string>();
  for (const scope of granted)
    if (isPartnerScope(scope)) for (const one of internal_scopes[scope]) scopes.add(one);
  return [...scopes];
}

/**
 * The only routes a partner token may call, each with the partner scope it needs (any one of
 * several). Every other route (keys, apps, consents, holders, payouts...) is refused: a partner
 * acts for one holder, never as the platform. Restrictions then narrow each route to the consented
 * wallets (auth/restricted-routes.ts), as for a restricted API key.
 */
const partner_routes: Readonly<Record<string, readonly PartnerScope[]>> = {
  'GET /v1/assets': ['wallets:read'],
  'GET /v1/assets/:code': ['wallets:read'],
  'GET /v1/wallets': ['wallets:read', 'transactions:read'],
  'GET /v1/wallets/:id': ['wallets:read', 'transactions:read'],
  'GET /v1/wallets/:id/balance': ['wallets:read'],
  'GET /v1/wallets/:id/transactions': ['transactions:read'],
  'GET /v1/wallets/:id/statement': ['transactions:read'],
  'GET /v1/transfers': ['transactions:read'],
  'GET /v1/transfers/:id': ['transactions:read', 'payments:write'],
  'POST /v1/transfers': ['payments:write'],
  // A payment above the consent's approval_above is parked (202): the app follows its approval.
  'GET /v1/approvals/:id': ['payments:write'],
  // A payment a risk rule steps up (202 with a challenge): the holder gives the app the code.
  'GET /v1/challenges/:id': ['payments:write'],
  'POST /v1/challenges/:id/confirm': ['payments:write'],
  'POST /v1/challenges/:id/resend': ['payments:write'],
  'POST /v1/challenges/:id/cancel': ['payments:write'],
};

/** Why a partner token holding `granted` may not call `route`, or undefined when it may. */
export function partnerRefusal(
  route: string,
  granted: readonly string[],
): { kind: 'route' } | { kind: 'scope'; scope: PartnerScope } | undefined {
  const needed = partner_routes[route];
  if (needed === undefined) return { kind: 'route' };
  if (needed.some((scope) => granted.includes(scope))) return undefined;
  return { kind: 'scope', scope: needed[0] as PartnerScope };
}
