import type { FastifyRequest } from 'fastify';
import { covers } from '../auth/scopes.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf, PageQuerystring } from '../http/schemas.js';
import { type DomainError, domainError } from '../shared/errors.js';
import { pageQuery } from '../shared/pagination.js';
import { fail } from '../shared/result.js';
import { type OperatorRole, role_scopes } from './roles.js';
import { CreatedOperator, CreateOperatorBody, Operator, UpdateOperatorBody } from './schemas.js';
import {
  type CreatedOperator as CreatedOperatorView,
  createOperator,
  getOperator,
  listOperators,
  updateOperator,
} from './service.js';

const tags = ['Operators'];

/**
 * Dashboard operators (docs/dashboard.md). Operators are not of a mode: one signs in and acts in
 * test or live, so only a live-mode caller may create or change them, and only with a role whose
 * scopes it holds itself (a key that may manage operators cannot mint one more powerful than it).
 */
export function operatorRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };

  app.post(
    '/v1/operators',
    {
      config: { scope: 'operators:write' },
      schema: {
        tags,
        summary: 'Create an operator',
        description:
          'The response carries the password (when none was given) and the authenticator secret, shown only this once. Live-mode callers only; the role must not grant what the caller lacks.',
        body: CreateOperatorBody,
        response: { 201: CreatedOperator, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(
        mutation,
        request,
        reply,
        201,
        async (db) => {
          const refusal = grantRefusal(request, request.body.role);
          if (refusal !== undefined) return fail(refusal);
          return createOperator(
            db,
            { ...request.body, created_by: authOf(request).key_id },
            deps.clock.now(),
          );
        },
        without_secrets,
      ),
  );

  app.get(
    '/v1/operators',
    {
      config: { scope: 'operators:read' },
      schema: {
        tags,
        summary: 'List operators',
        description: 'Every operator, newest first; never a password or authenticator secret.',
        querystring: PageQuerystring,
        response: { 200: ListOf(Operator), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listOperators(deps.pool, pageQuery(request.query))),
  );

  app.get(
    '/v1/operators/:id',
    {
      config: { scope: 'operators:read' },
      schema: {
        tags,
        summary: 'Retrieve an operator',
        description: 'Its role, and whether it is disabled or locked out.',
        params: IdParams,
        response: { 200: Operator, ...errorResponses },
      },
    },
    async (request, reply) => sendResult(request, reply, await getOperator(deps.pool, request.params.id)),
  );

  app.post(
    '/v1/operators/:id',
    {
      config: { scope: 'operators:write' },
      schema: {
        tags,
        summary: 'Update an operator',
        description:
          'Renames it, changes its role, or disables it (every session ends at once) or enables it (which also lifts a lock-out). The caller must hold every scope of both the current and the new role.',
        params: IdParams,
        body: UpdateOperatorBody,
        response: { 200: Operator, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, async (db) => {
        const new_role = request.body.role;
        return updateOperator(
          db,
          request.params.id,
          request.body,
          deps.clock.now(),
          (current) =>
            grantRefusal(request, current.role) ??
            (new_role === undefined ? undefined : grantRefusal(request, new_role)),
        );
      }),
  );
}

/** Why the caller may not give (or touch an operator holding) `role`, if it may not. */
function grantRefusal(request: FastifyRequest, role: OperatorRole): DomainError | undefined {
  const caller = authOf(request);
  if (!caller.livemode)
    return domainError(
      'mode_mismatch',
      'Operators act in live mode too: manage them with a live-mode key.',
      'role',
    );
  const excess = role_scopes[role].find((scope) => !covers(caller.scopes, scope));
  if (excess === undefined) return undefined;
  return domainError(
    'insufficient_scope',
    `The role "${role}" holds "${excess}", which you do not hold.`,
    'role',
  );
}

/** The stored response of a replayed create never repeats the password or the authenticator secret. */
const without_secrets = {
  replay_body: ({
    password: _password,
    totp_secret: _secret,
    totp_uri: _uri,
    ...rest
  }: CreatedOperatorView) => rest,
};
