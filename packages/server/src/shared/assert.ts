/**
 * A broken assertion is a bug, never an expected failure: it throws, the request answers 500 with
 * its request id, and the surrounding database transaction rolls back so nothing half-written stays.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
