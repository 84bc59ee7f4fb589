import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Env, positiveInteger } from '../shared/env.js';

/** Uploads, the sanctions list and the verifier (docs/identity.md), read from the environment. */
export interface IdentityConfig {
  /** The largest file `POST /v1/files` takes (PURSE_FILE_BYTES_MAX); larger is 413 file_too_large. */
  readonly file_bytes_max: number;
  /**
   * Uploads this process reads at once (PURSE_FILE_UPLOADS_IN_FLIGHT_MAX): each is held whole in
   * memory (up to file_bytes_max), so this bounds their memory; beyond it 503 service_unavailable.
   */
  readonly file_uploads_in_flight_max: number;
  /** An OFAC SDN-format CSV (PURSE_SANCTIONS_LIST_PATH); by default the invented sample shipped. */
  readonly sanctions_list_path: string;
  /** Its aliases file (`alt.csv`, PURSE_SANCTIONS_ALIASES_PATH), if any. */
  readonly sanctions_aliases_path: string | undefined;
  /** A name scoring this (0 to 1) against a listed one goes to an operator (PURSE_SANCTIONS_REVIEW_SCORE_MIN). */
  readonly sanctions_review_score_min: number;
  /** A name scoring this is a match: rejected and blocked (PURSE_SANCTIONS_BLOCK_SCORE_MIN). */
  readonly sanctions_block_score_min: number;
  /**
   * Who decides live-mode sessions (PURSE_LIVE_VERIFIER). `manual`: an operator, through approve
   * and reject; a provider's adapter adds its name here. Test mode always uses the sandbox.
   */
  readonly live_verifier: LiveVerifierName;
}

export const live_verifier_names = ['manual'] as const;
export type LiveVerifierName = (typeof live_verifier_names)[number];

export const file_bytes_max_default = 10 * 1024 * 1024;
export const file_uploads_in_flight_max_default = 4;

const data_dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'data');

export function identityConfigFromEnv(env: Env): IdentityConfig {
  const review = scoreFromEnv(env, 'PURSE_SANCTIONS_REVIEW_SCORE_MIN', 0.85);
  const block = scoreFromEnv(env, 'PURSE_SANCTIONS_BLOCK_SCORE_MIN', 0.95);
  if (review > block)
    throw new Error('PURSE_SANCTIONS_REVIEW_SCORE_MIN must not be above PURSE_SANCTIONS_BLOCK_SCORE_MIN.');
  const live_verifier = env.PURSE_LIVE_VERIFIER ?? 'manual';
  if (!(live_verifier_names as readonly string[]).includes(live_verifier))
    throw new Error(`PURSE_LIVE_VERIFIER must be one of: ${live_verifier_names.join(', ')}.`);
  return {
    file_bytes_max: positiveInteger(env, 'PURSE_FILE_BYTES_MAX', file_bytes_max_default),
    file_uploads_in_flight_max: positiveInteger(
      env,
      'PURSE_FILE_UPLOADS_IN_FLIGHT_MAX',
      file_uploads_in_flight_max_default,
    ),
    sanctions_list_path: env.PURSE_SANCTIONS_LIST_PATH ?? path.join(data_dir, 'sanctions-sample.csv'),
    sanctions_aliases_path:
      env.PURSE_SANCTIONS_LIST_PATH === undefined
        ? path.join(data_dir, 'sanctions-sample-alt.csv')
        : env.PURSE_SANCTIONS_ALIASES_PATH,
    sanctions_review_score_min: review,
    sanctions_block_score_min: block,
    live_verifier: live_verifier as LiveVerifierName,
  };
}

function scoreFromEnv(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0 && value <= 1)) throw new Error(`${name} must be a number above 0 and at most 1.`);
  return value;
}
