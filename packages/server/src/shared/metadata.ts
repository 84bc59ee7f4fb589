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
    return fail(
      domainError(
        'invalid_request',
        `metadata may hold at most ${limits.metadata_keys_max} keys.`,
        'metadata',
      ),
    );
  }
  const bad_key = keys.find((key) => key.length === 0 || key.length > limits.metadata_key_chars_max);
  if (bad_key !== undefined) {
    const detail = `metadata keys must be 1 to ${limits.metadata_key_chars_max} characters.`;
    return fail(domainError('invalid_request', detail, `metadata.${bad_key}`));
  }
  const long_value = keys.find((key) => (metadata[key] ?? '').length > limits.metadata_value_chars_max);
  if (long_value !== undefined) {
    const detail = `metadata values must be at most ${limits.metadata_value_chars_max} characters.`;
    return fail(domainError('invalid_request', detail, `metadata.${long_value}`));
  }
  return ok(metadata);
}
