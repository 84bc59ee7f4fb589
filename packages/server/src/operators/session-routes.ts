import { serialize } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from '../db/pool.js';
import type { Api } from '../http/api.js';
import { sendProblem } from '../http/problem.js';
import { errorResponses } from '../http/schemas.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import type { Clock } from '../shared/clock.js';
import { domainError } from '../shared/errors.js';
import type { OperatorsConfig } from './config.js';
import { OperatorSession, SignInBody } from './schemas.js';
import { checkCsrf, requireSession, session_cookie, sessionToken } from './session-access.js';
import { endSession, sessionView, signIn } from './sessions.js';

export interface SessionRouteDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly config: OperatorsConfig;
  readonly limiter: RateLimiter;
}

/** Sign-in attempts one address may make per minute, whatever the emails: each costs a scrypt hash. */
const sign_ins_per_ip_per_minute = 20;
const tags = ['Dashboard sessions'];

/**
 * The dashboard's sign-in (docs/dashboard.md): an operator's email, password and authenticator
 * code open a session kept in an HttpOnly, SameSite=Strict cookie; the body's CSRF token goes back
 * in X-CSRF-Token on every request that changes something.
 */
export function sessionRoutes(app: Api, deps: SessionRouteDeps): void {
  app.post(
    '/dashboard/session',
    {
      schema: {
        tags,
        summary: 'Sign an operator in',
        description:
          'Refusals read the same whether the email, password or code was wrong (401 invalid_credentials); repeated failures lock the operator out (429 operator_locked with Retry-After).',
        body: SignInBody,
        security: [],
        response: { 200: OperatorSession, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await withinSignInRate(request, reply, deps))) return reply;
      const opened = await signIn(deps.pool, deps.config.sessions, request.body, request, deps.clock.now());
      if (!opened.ok) {
        if (opened.retry_after_s !== undefined) reply.header('Retry-After', String(opened.retry_after_s));
        return sendProblem(request, reply, opened.error);
      }
      setCookie(reply, deps, opened.value.token, deps.config.sessions.lifetime_s);
      return reply.header('Cache-Control', 'no-store').send(opened.value.view);
    },
  );

  app.get(
    '/dashboard/session',
    {
      schema: {
        tags,
        summary: 'The signed-in operator',
        description:
          'The session the cookie names, with its CSRF token; 401 session_required once it has ended.',
        response: { 200: OperatorSession, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await requireSession(
        request,
        { pool: deps.pool, sessions: deps.config.sessions },
        deps.clock.now(),
      );
      const token = sessionToken(request) as string;
      return reply
        .header('Cache-Control', 'no-store')
        .send(sessionView(session.operator, token, session.expires_at));
    },
  );

  app.delete(
    '/dashboard/session',
    {
      schema: {
        tags,
        summary: 'Sign out',
        description: 'Ends the session in every process at once; needs X-CSRF-Token.',
        security: [{ operator_session: [] }],
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await requireSession(
        request,
        { pool: deps.pool, sessions: deps.config.sessions },
        deps.clock.now(),
      );
      checkCsrf(request, session.csrf_token);
      await endSession(deps.pool, session.session_id, deps.clock.now());
      setCookie(reply, deps, '', 0);
      return reply.code(204).send();
    },
  );
}

function setCookie(reply: FastifyReply, deps: SessionRouteDeps, token: string, max_age_s: number): void {
  reply.header(
    'Set-Cookie',
    serialize(session_cookie, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: deps.config.secure_cookie,
      path: '/',
      maxAge: max_age_s,
    }),
  );
}

async function withinSignInRate(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: SessionRouteDeps,
): Promise<boolean> {
  const now_ms = deps.clock.now().getTime();
  const hit = await deps.limiter.hit(`sign_in:${request.ip}`, 60_000, now_ms).catch(() => undefined);
  if (hit === undefined || hit.count <= sign_ins_per_ip_per_minute) return true;
  reply.header('Retry-After', String(Math.max(1, Math.ceil((hit.reset_ms - now_ms) / 1000))));
  sendProblem(
    request,
    reply,
    domainError('rate_limited', 'Too many sign-in attempts from this address; wait a minute.'),
  );
  return false;
}
