import type { FastifyReply, FastifyRequest } from 'fastify';
import { catalogue, type DomainError, type ErrorCode, problemType } from '../shared/errors.js';

/** The RFC 9457 body for a domain error, as every endpoint returns it. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  param?: string;
  request_id: string;
}

export function problemBody(error: DomainError, request_id: string): ProblemBody {
  const spec = catalogue[error.code];
  const body: ProblemBody = {
    type: problemType(error.code),
    title: spec.title,
    status: spec.status,
    detail: error.detail,
    code: error.code,
    request_id,
  };
  if (error.param !== undefined) body.param = error.param;
  return body;
}

export const problem_content_type = 'application/problem+json; charset=utf-8';

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: DomainError): FastifyReply {
  const body = problemBody(error, request.id);
  retryAfter(reply, error.code);
  return reply.code(body.status).type(problem_content_type).send(JSON.stringify(body));
}

/** Sets `Retry-After` for a transient refusal whose catalogue entry says when to retry. */
export function retryAfter(reply: FastifyReply, code: ErrorCode): FastifyReply {
  const seconds = catalogue[code].retry_after_s;
  return seconds === undefined ? reply : reply.header('Retry-After', String(seconds));
}
