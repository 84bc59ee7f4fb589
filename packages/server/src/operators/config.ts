import { type Env, positiveInteger } from '../shared/env.js';
import type { SessionSettings } from './sessions.js';

/** The dashboard's operators (docs/dashboard.md), read from the environment. */
export interface OperatorsConfig {
  /**
   * Sessions: PURSE_OPERATOR_SESSION_IDLE_S (default 30 minutes), PURSE_OPERATOR_SESSION_LIFETIME_S
   * (12 hours); PURSE_OPERATOR_FAILURES_MAX failed sign-ins in a row (5) lock an operator out for
   * PURSE_OPERATOR_LOCKOUT_S (15 minutes).
   */
  readonly sessions: SessionSettings;
  /**
   * A refund an operator asks for of at least this many minor units waits for a second operator
   * (PURSE_FOUR_EYES_REFUND_MINOR, default 100000: 1,000.00 in a two-decimal currency).
   */
  readonly four_eyes_refund_minor: bigint;
  /**
   * The session cookie's Secure attribute (PURSE_OPERATOR_COOKIE_SECURE, default true). Browsers
   * keep Secure cookies from http://localhost too; turn it off only behind a plain-HTTP proxy.
   */
  readonly secure_cookie: boolean;
}

export function operatorsConfigFromEnv(env: Env): OperatorsConfig {
  const threshold = env.PURSE_FOUR_EYES_REFUND_MINOR?.trim() ?? '100000';
  if (!/^[1-9][0-9]{0,37}$/.test(threshold))
    throw new Error('PURSE_FOUR_EYES_REFUND_MINOR must be a positive whole number of minor units.');
  return {
    sessions: {
      idle_timeout_s: positiveInteger(env, 'PURSE_OPERATOR_SESSION_IDLE_S', 1_800),
      lifetime_s: positiveInteger(env, 'PURSE_OPERATOR_SESSION_LIFETIME_S', 43_200),
      failures_max: positiveInteger(env, 'PURSE_OPERATOR_FAILURES_MAX', 5),
      lockout_s: positiveInteger(env, 'PURSE_OPERATOR_LOCKOUT_S', 900),
    },
    four_eyes_refund_minor: BigInt(threshold),
    secure_cookie: env.PURSE_OPERATOR_COOKIE_SECURE !== 'false',
  };
}
