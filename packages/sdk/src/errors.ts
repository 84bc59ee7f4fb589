import type { components } from './generated/openapi.js';

/** An RFC 9457 problem document, as every Purse error answers. */
export type Problem = components['schemas']['Problem'];

/** Every code the server's catalogue can answer (generated from openapi.json). */
export type ProblemCode = Problem['code'];

/**
 * Codes the SDK itself gives to failures that carry no problem from the server: no answer
 * (`connection_failed`, `timeout`), an answer that is not a problem document
 * (`invalid_response`), or a webhook that does not verify (`webhook_invalid`).
 */
export type ClientErrorCode = 'connection_failed' | 'timeout' | 'invalid_response' | 'webhook_invalid';

export type ErrorCode = ProblemCode | ClientErrorCode;

interface ErrorFields {
  readonly status: number;
  readonly code: ErrorCode;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly param?: string | undefined;
  readonly request_id?: string | undefined;
  /** Seconds the server asked to wait before retrying (`Retry-After`), when it said so. */
  readonly retry_after_s?: number | undefined;
}

/**
 * Everything the SDK throws. `code` is stable, program against it; `detail` is for people.
 * `status` is 0 when no HTTP answer came.
 */
export class PurseError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly param: string | undefined;
  readonly request_id: string | undefined;
  readonly retry_after_s: number | undefined;

  constructor(fields: ErrorFields, options?: { cause?: unknown }) {
    super(fields.detail, options);
    this.name = new.target.name;
    this.status = fields.status;
    this.code = fields.code;
    this.type = fields.type;
    this.title = fields.title;
    this.detail = fields.detail;
    this.param = fields.param;
    this.request_id = fields.request_id;
    this.retry_after_s = fields.retry_after_s;
  }
}

/** 400, 413, 415, 422: the request is wrong; sending it again will not help. */
export class InvalidRequestError extends PurseError {}
/** 401: no key, or a key that is malformed, unknown, revoked or expired. */
export class AuthenticationError extends PurseError {}
/** 403: the key may not do this (scope, mode, restriction, spend policy, risk rule). */
export class PermissionError extends PurseError {}
/** 402: the source wallet's available balance is too small. */
export class InsufficientFundsError extends PurseError {}
/** 404: no such object in the key's mode, or no such endpoint. */
export class NotFoundError extends PurseError {}
/** 409: the object's state refuses this (frozen wallet, hold not pending...), or a lock timed out. */
export class ConflictError extends PurseError {}
/** The Idempotency-Key is in use by a request still running (409), or was used with another body (422). */
export class IdempotencyError extends PurseError {}
/** 429: too many requests; `retry_after_s` says when to try again. */
export class RateLimitError extends PurseError {}
/** 5xx or any other unexpected answer. */
export class ApiError extends PurseError {}
/** No answer: the connection failed or the attempt timed out, on every attempt allowed. */
export class ConnectionError extends PurseError {}
/** A webhook whose signature, timestamp or body does not verify. */
export class WebhookVerificationError extends PurseError {}

type ErrorClass = new (fields: ErrorFields, options?: { cause?: unknown }) => PurseError;

const class_by_status: Readonly<Record<number, ErrorClass>> = {
  400: InvalidRequestError,
  401: AuthenticationError,
  402: InsufficientFundsError,
  403: PermissionError,
  404: NotFoundError,
  409: ConflictError,
  413: InvalidRequestError,
  415: InvalidRequestError,
  422: InvalidRequestError,
  429: RateLimitError,
};

/** The class for a problem: by code where the status alone is ambiguous, else by status. */
export function errorClassFor(status: number, code: string): ErrorClass {
  if (code === 'idempotency_key_in_use' || code === 'idempotency_key_reused') return IdempotencyError;
  return class_by_status[status] ?? ApiError;
}

/** Builds the typed error for an HTTP answer that is not a 2xx. */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: { request_id: string | undefined; retry_after_s: number | undefined },
): PurseError {
  const problem = isProblem(body) ? body : undefined;
  const fields: ErrorFields = problem
    ? {
        status,
        code: problem.code,
        type: problem.type,
        title: problem.title,
        detail: problem.detail,
        param: problem.param,
        request_id: problem.request_id,
        retry_after_s: headers.retry_after_s,
      }
    : {
        status,
        code: 'invalid_response',
        type: 'urn:purse:problem:invalid_response',
        title: 'The answer is not a problem document',
        detail: `HTTP ${status} without a problem document`,
        request_id: headers.request_id,
        retry_after_s: headers.retry_after_s,
      };
  const ErrorOf = errorClassFor(status, fields.code);
  return new ErrorOf(fields);
}

/** An error raised by the SDK itself, with one of its own codes. */
export function clientError(
  ErrorOf: ErrorClass,
  code: ClientErrorCode,
  title: string,
  detail: string,
  cause?: unknown,
): PurseError {
  return new ErrorOf(
    { status: 0, code, type: `urn:purse:problem:${code}`, title, detail },
    cause === undefined ? undefined : { cause },
  );
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false;
  const fields = body as Record<string, unknown>;
  return (
    typeof fields.code === 'string' && typeof fields.detail === 'string' && typeof fields.type === 'string'
  );
}
