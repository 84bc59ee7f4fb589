import { resources, type Scope } from '../auth/scopes.js';

/** What an operator may do, by role (docs/dashboard.md). Operators act through the API's scopes. */
export const operator_roles = ['admin', 'finance', 'support', 'viewer'] as const;
export type OperatorRole = (typeof operator_roles)[number];

const reads: Scope[] = resources.map((resource) => `${resource}:read` as const);
const writes = (...names: (typeof resources)[number][]): Scope[] =>
  names.map((name) => `${name}:write` as const);

const support: readonly string[] = [
  ...reads,
  ...writes('webhook_endpoints', 'wallets', 'escrows', 'refunds', 'holders'),
];
const finance: readonly string[] = [
  ...support,
  ...writes(
    'transfers',
    'payments',
    'payouts',
    'approvals',
    'risk_rules',
    'bank_files',
    'fx_rates',
    'conversions',
  ),
];

export const role_scopes: Readonly<Record<OperatorRole, readonly string[]>> = {
  admin: ['*'],
  finance,
  support,
  viewer: reads,
};

export function isOperatorRole(value: string): value is OperatorRole {
  return (operator_roles as readonly string[]).includes(value);
}
