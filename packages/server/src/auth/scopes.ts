/**
 * Scopes are `resource:read`, `resource:write`, `resource:*` or `*`. Write implies read, as with
 * Stripe's restricted keys: a key that may create holders may also look at them.
 *
 * `bank_files` is the operator's side of the live bank rail (writing pain.001 files, importing the
 * bank's statements): a statement says which payouts came back, so `payouts:write` must not imply
 * it, or any key that may pay out could forge the return of its own payouts.
 */
export const resources = [
  'assets',
  'holders',
  'api_keys',
  'wallets',
  'transfers',
  'payments',
  'refunds',
  'payouts',
  'bank_files',
  'test_helpers',
  'reports',
  'escrows',
  'events',
  'webhook_endpoints',
  'approvals',
  'risk_rules',
  'audit_logs',
  'products',
  'subscriptions',
  'invoices',
  'usage_records',
  'test_clocks',
  'oauth_clients',
  'consents',
  'challenges',
  'files',
  'verification_sessions',
  'fx_rates',
  'fx_quotes',
  'conversions',
  'operators',
] as const;
export type Resource = (typeof resources)[number];
export type Scope = `${Resource}:${'read' | 'write'}`;

const scope_pattern = new RegExp(`^(\\*|(${resources.join('|')}):(read|write|\\*))$`);

export function isValidScope(value: string): boolean {
  return scope_pattern.test(value);
}

export function grants(granted: readonly string[], needed: Scope): boolean {
  const [resource, action] = needed.split(':') as [Resource, 'read' | 'write'];
  return granted.some(
    (scope) =>
      scope === '*' ||
      scope === needed ||
      scope === `${resource}:*` ||
      (action === 'read' && scope === `${resource}:write`),
  );
}

/**
 * Whether a key holding `held` holds `wanted` too. A wildcard is covered only by a wildcard at
 * least as wide, since it will also grant actions added later.
 */
export function covers(held: readonly string[], wanted: string): boolean {
  if (held.includes('*')) return true;
  if (wanted === '*') return false;
  if (wanted.endsWith(':*')) return held.includes(wanted);
  return grants(held, wanted as Scope);
}
