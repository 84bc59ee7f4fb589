/**
 * When to retry and how long to wait: pure functions over what an attempt gave, so the policy is
 * tested without a network.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (so at most `max_retries + 1` attempts). */
  readonly max_retries: number;
  /** The backoff cap before jitter for the first retry; it doubles per retry. */
  readonly base_delay_ms: number;
  /** No backoff (before jitter) is longer than this. */
  readonly max_delay_ms: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown instead. */
  readonly retry_after_ms_max: number;
  /** No retry starts later than this after the first attempt began. */
  readonly total_ms_max: number;
}

export const default_retry_policy: RetryPolicy = {
  max_retries: 3,
  base_delay_ms: 500,
  max_delay_ms: 8_000,
  retry_after_ms_max: 60_000,
  total_ms_max: 120_000,
};

/** What one attempt gave: an HTTP status (with its problem code) or no answer at all. */
export type Outcome =
  | { readonly kind: 'answer'; readonly status: number; readonly code: string | undefined }
  | { readonly kind: 'no_answer' };

/**
 * Retry when nothing was answered, on 429 and 5xx, and on the two 409s that say "the same request
 * will work shortly" (both carry Retry-After). Never on any other 4xx: the request itself is wrong.
 * A POST is safe to send again because every attempt carries the same Idempotency-Key.
 */
export function isRetryable(outcome: Outcome): boolean {
  if (outcome.kind === 'no_answer') return true;
  const { status, code } = outcome;
  if (status === 429 || status >= 500) return true;
  return status === 409 && (code === 'idempotency_key_in_use' || code === 'lock_timeout');
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^retry)). */
export function backoffDelay_ms(
  retry: number,
  policy: Pick<RetryPolicy, 'base_delay_ms' | 'max_delay_ms'>,
  random: () => number = Math.random,
): number {
  const ceiling_ms = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** retry);
  return Math.floor(random() * ceiling_ms);
}

/** `Retry-After` as seconds (`"2"`) or an HTTP date, in milliseconds from `now_ms`; undefined if absent or unreadable. */
export function retryAfter_ms(header: string | null, now_ms: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date_ms = Date.parse(trimmed);
  return Number.isNaN(date_ms) ? undefined : Math.max(0, date_ms - now_ms);
}

/**
 * The wait before retry number `retry` (0 for the first retry), or undefined to stop: the attempts
 * are spent, the server asked for a wait longer than allowed, or the wait would pass the total.
 */
export function nextDelay_ms(
  retry: number,
  elapsed_ms: number,
  retry_after: number | undefined,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (retry >= policy.max_retries) return undefined;
  if (retry_after !== undefined && retry_after > policy.retry_after_ms_max) return undefined;
  // The server said when it will be ready: wait that long, not a guess.
  const delay_ms = retry_after ?? backoffDelay_ms(retry, policy, random);
  return elapsed_ms + delay_ms > policy.total_ms_max ? undefined : delay_ms;
}
