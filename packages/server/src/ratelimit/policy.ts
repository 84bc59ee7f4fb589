import type { Limits } from '../config.js';
import type { SpendPolicyValue } from '../policies/schemas.js';

/** What decides a key's rate limit. */
export interface RateLimitedKey {
  readonly restrictions: object | null;
  readonly spend_policy: SpendPolicyValue | null;
  /** The key's own limit, or null for the default of its kind. */
  readonly rate_limit_requests_max: number | null;
}

/**
 * Requests per window for a key (0: unlimited). An unrestricted key is the platform's own backend
 * and gets a default above what one server answers; a restricted or policy-bound key (an agent, a
 * connected account) gets a tight one, since it runs code the platform does not control.
 */
export function requestsPerWindow(key: RateLimitedKey, limits: Limits): number {
  if (key.rate_limit_requests_max !== null) return key.rate_limit_requests_max;
  const bound = key.restrictions !== null || key.spend_policy !== null;
  return bound ? limits.rate_limit_bound_requests_max : limits.rate_limit_requests_max;
}
