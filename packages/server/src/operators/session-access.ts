import { parse } from 'cookie';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../auth/context.js';
import type { Pool } from '../db/pool.js';
import { domainError, HttpProblem } from '../shared/errors.js';
import { current_api_version } from '../shared/versions.js';
import { role_scopes } from './roles.js';
import type { OperatorRow } from './service.js';
import { findSession, type SessionOperator, type SessionSettings, sameCsrf } from './sessions.js';

/** The dashboard's session cookie (HttpOnly, SameSite=Strict). */
export const session_cookie = 'purse_session';
export const csrf_header = 'x-csrf-token';
export const mode_header = 'purse-mode';

const safe_methods = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  return parse(header)[session_cookie] || undefined;
}

/** The live session a request's cookie names, or a 401 `session_required`. */
export async function requireSession(
  request: FastifyRequest,
  deps: { pool: Pool; sessions: SessionSettings },
  now: Date,
): Promise<SessionOperator> {
  const token = sessionToken(request);
  const session = token === undefined ? undefined : await findSession(deps.pool, deps.sessions, token, now);
  if (session === undefined)
    throw new HttpProblem(domainError('session_required', 'Your session has ended; sign in again.'));
  return session;
}

/**
 * A request that came with the dashboard's session cookie instead of an API key, as the one auth
 * path sees it: the operator's id in `key_id` (audit entries, idempotency keys and approvals name
 * the operator), the role's scopes, the mode the `Purse-Mode` header picks (test unless it says
 * live), no restrictions and no spend policy. A request that changes anything must carry the
 * session's CSRF token in `X-CSRF-Token`: SameSite=Strict alone would trust every browser to honour it.
 */
export async function operatorAuth(
  request: FastifyRequest,
  deps: { pool: Pool; sessions: SessionSettings },
  now: Date,
): Promise<AuthContext> {
  const session = await requireSession(request, deps, now);
  if (!safe_methods.has(request.method)) checkCsrf(request, session.csrf_token);
  return operatorAuthContext(session.operator, requestedMode(request), session.session_id);
}

/** An operator as the access checks read it; `session_id` names what it acts through (a session, or an approval run later). */
export function operatorAuthContext(
  operator: OperatorRow,
  livemode: boolean,
  session_id: string,
): AuthContext {
  return {
    key_id: operator.id,
    livemode,
    scopes: role_scopes[operator.role],
    api_version: current_api_version,
    restrictions: null,
    spend_policy: null,
    rate_limit_requests_max: null,
    operator: { id: operator.id, role: operator.role, session_id },
  };
}

export function checkCsrf(request: FastifyRequest, expected: string): void {
  const presented = request.headers[csrf_header];
  if (typeof presented !== 'string' || !sameCsrf(expected, presented))
    throw new HttpProblem(
      domainError('csrf_token_invalid', "Send the session's CSRF token in the X-CSRF-Token header."),
    );
}

function requestedMode(request: FastifyRequest): boolean {
  const mode = request.headers[mode_header];
  if (mode === undefined || mode === 'test') return false;
  if (mode === 'live') return true;
  throw new HttpProblem(domainError('invalid_request', 'Purse-Mode must be "test" or "live".', 'Purse-Mode'));
}
