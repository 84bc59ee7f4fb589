import type { OperatorRole } from '../operators/roles.js';
import type { SpendPolicyValue } from '../policies/schemas.js';
import type { RestrictionsValue } from './restrictions.js';

/**
 * Who is asking: the API key (or partner app's consent) a request authenticated with, as the access checks read it. Typed
 * data, never text: restrictions, spend policy, scopes and mode decide what the key may do.
 */
export interface AuthContext {
  readonly key_id: string;
  readonly livemode: boolean;
  readonly scopes: readonly string[];
  readonly api_version: string;
  /** Set: the key may only act on these wallets (see auth/restrictions.ts). */
  readonly restrictions: RestrictionsValue | null;
  readonly spend_policy: SpendPolicyValue | null;
  /** This key's requests per rate-limit window, when it overrides the default. */
  readonly rate_limit_requests_max: number | null;
  /**
   * Set when a partner app's OAuth access token authenticated the request rather than an API key:
   * the consent it acts under (`key_id` is then the consent's id) and the partner scopes it holds.
   */
  readonly consent?: {
    readonly id: string;
    readonly client_id: string;
    readonly holder_id: string;
    readonly scopes: readonly string[];
  };
  /**
   * Set when an operator's dashboard session authenticated the request (docs/dashboard.md):
   * `key_id` is then the operator's id, and the scopes are the role's.
   */
  readonly operator?: {
    readonly id: string;
    readonly role: OperatorRole;
    readonly session_id: string;
  };
}
