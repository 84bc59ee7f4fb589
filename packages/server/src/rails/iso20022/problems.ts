import type { DomainError, ErrorCode } from '../../shared/errors.js';

/** What is wrong with a batch to write or a file that was read, for callers and tests to branch on. */
export type IsoProblem =
  | 'invalid_field'
  | 'too_large'
  | 'malformed_xml'
  | 'doctype_refused'
  | 'unknown_message'
  | 'unknown_namespace'
  | 'missing_element'
  | 'invalid_value'
  | 'several_accounts';

/** A `DomainError` (so it maps to a problem+json like any other) that also says which problem. */
export interface IsoError extends DomainError {
  readonly problem: IsoProblem;
}

/** Assignable to the shared `Result<T>`; the narrower error keeps `problem` visible to callers. */
export type IsoResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: IsoError };

/** Every problem is bad input (400): `invalid_amount` for amounts, `invalid_request` for the rest. */
export function isoError(
  problem: IsoProblem,
  detail: string,
  param?: string,
  code: ErrorCode = 'invalid_request',
): IsoError {
  return param === undefined ? { code, problem, detail } : { code, problem, detail, param };
}

/**
 * Thrown only inside this folder and caught by `attempt` at each public function: reading a file
 * or a batch is dozens of nested look-ups, and one throw per failed look-up keeps each of them a
 * line, while callers still get a value and never an exception.
 */
class IsoFailure extends Error {
  constructor(readonly error: IsoError) {
    super(error.detail);
  }
}

export function refuse(problem: IsoProblem, detail: string, param?: string): never {
  throw new IsoFailure(isoError(problem, detail, param));
}

export function refuseWith(error: IsoError): never {
  throw new IsoFailure(error);
}

export function attempt<T>(work: () => T): IsoResult<T> {
  try {
    return { ok: true, value: work() };
  } catch (error) {
    if (error instanceof IsoFailure) return { ok: false, error: error.error };
    throw error;
  }
}
