import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Pool } from '../db/pool.js';
import { unexpectedProblem } from '../http/errors.js';
import { problem_content_type, problemBody, retryAfter } from '../http/problem.js';
import type { Clock } from '../shared/clock.js';
import { textFault } from '../shared/text.js';
import { type AuditEntry, appendAudit, responseFacts } from './append.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request's audit entry is written in its own transaction. */
    audited: boolean;
    /** The application's clock, for the time of audit entries. */
    readonly audit_clock: Clock;
  }
}

const audited_methods = new Set(['POST', 'DELETE', 'PUT', 'PATCH']);

/** The audit entry of an authenticated request that answered `status` with `body`. */
export function requestAudit(request: FastifyRequest, now: Date, status: number, body: unknown): AuditEntry {
  return auditEntry(auditSubject(request), now, status, body);
}

/** What an audit entry says of a request before it is answered: plain data a queued job can carry. */
export type AuditSubject = Omit<
  AuditEntry,
  'object_id' | 'outcome_status' | 'outcome_code' | 'created_at'
> & {
  /** The path's `:id`, the entry's object when the response names none. */
  readonly param_id: string | null;
};

export function auditSubject(request: FastifyRequest): AuditSubject {
  const auth = request.auth;
  const params = request.params as Record<string, unknown> | undefined;
  // A path id the request was refused for may hold text PostgreSQL cannot store (a NUL).
  const param_id = typeof params?.id === 'string' && textFault(params.id) === undefined ? params.id : null;
  return {
    livemode: auth?.livemode ?? false,
    actor: auth?.key_id ?? 'anonymous',
    action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
    request_id: request.id,
    ip: request.ip,
    param_id,
  };
}

/** The entry of a request described by `subject` that answered `status` with `body`. */
export function auditEntry(subject: AuditSubject, now: Date, status: number, body: unknown): AuditEntry {
  const { param_id, ...who } = subject;
  const facts = responseFacts(status, body);
  return {
    ...who,
    object_id: facts.object_id ?? param_id,
    outcome_status: status,
    outcome_code: facts.outcome_code,
    created_at: now,
  };
}

/**
 * Audits every authenticated mutating request. Endpoints that change data write their entry in
 * their own transaction (runMutation, group commit) and mark the request; any other mutating
 * request (refused by validation or scope, replayed, answered 202) gets its entry here, before the
 * response leaves. Unauthenticated and rate-limited requests are only logged: anyone could otherwise
 * grow the chain, and each entry waits for the one before.
 */
export function registerAudit(app: FastifyInstance, deps: { pool: Pool; clock: Clock }): void {
  app.decorateRequest('audited', false);
  app.decorateRequest('audit_clock', {
    getter: () => deps.clock,
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.audited || request.auth === null || !audited_methods.has(request.method)) return payload;
    // A key hammering past its rate limit is logged, not audited: each entry serialises on the chain.
    if (reply.statusCode === 429) return payload;
    try {
      await appendAudit(deps.pool, [requestAudit(request, deps.clock.now(), reply.statusCode, payload)]);
    } catch (error) {
      // Still a problem document: a hook that throws here, after the error handler has run, would
      // fall back to Fastify's own JSON, which quotes the error (a database message, say).
      const problem = unexpectedProblem(request, error);
      const body = problemBody(problem, request.id);
      retryAfter(reply, problem.code).code(body.status).type(problem_content_type);
      return JSON.stringify(body);
    }
    request.audited = true;
    return payload;
  });
}
