import { problemBody } from '../http/problem.js';
import type { DomainError, ErrorCode } from '../shared/errors.js';
import type { Replay } from './idempotency-store.js';

/**
 * The HTTP answer to one request written by a group-commit engine, as stored for idempotent
 * replays, and the value it serialises (its audit entry reads the id or problem code off it instead
 * of parsing the text back; a replay has only the stored text).
 */
export type JobOutcome = {
  readonly status: number;
  readonly body: string;
  readonly replayed: boolean;
  readonly value?: unknown;
  /** A problem's code, for the headers it brings (Retry-After). */
  readonly code?: ErrorCode;
};

export function problemOutcome(error: DomainError, request_id: string): JobOutcome {
  const problem = problemBody(error, request_id);
  return {
    status: problem.status,
    body: JSON.stringify(problem),
    replayed: false,
    value: problem,
    code: error.code,
  };
}

/** The stored answer of a key already answered: its status and body, or the problem a misuse gets. */
export function replayOutcome(replay: Replay, request_id: string): JobOutcome {
  if ('error' in replay) return problemOutcome(replay.error, request_id);
  return { status: replay.status, body: replay.body, replayed: true };
}
