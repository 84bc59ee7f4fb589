import type { Limits } from '../config.js';
import { domainError } from './errors.js';
import { fail, ok, type Result } from './result.js';

export type Metadata = Readonly<Record<string, string>>;

/**
 * Applies an update to stored metadata the way Stripe does: given keys are set, a key given as the
 * empty string is removed, others stay. The merged result must still fit the limits.
 */
export function mergeMetadata(current: Metadata, update: Metadata, limits: Limits): Result<Metadata> {
  const merged: Record<string, string> = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return checkMetadata(merged, limits);
}

export function checkMetadata(metadata: Metadata, limits: Limits): Result<Metadata> {
  const keys = Object.keys(metadata);
  if (keys.length > limits.metadata_keys_max) {
    return fail(domainError('invalid_request', `metadata may hold at most ${limits.metadata_keys_max} keys.`, 'metadata'));
  }
  return ok(metadata);
}
