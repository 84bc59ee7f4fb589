import { challengeSettings } from '../challenges/service.js';
import { type Api, type RouteDeps, railContext, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { approve, type Decider, reject } from './decide.js';
import { Approval, ApprovalListQuery } from './schemas.js';
import { getApproval, listApprovals } from './service.js';

export function approvalRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Approvals'];
  const decider = (
    request: Parameters<typeof authOf>[0],
    db: Parameters<typeof railContext>[2],
  ): Decider => ({
    ctx: railContext(deps, request, db),
    decider: authOf(request),
    request_id: request.id,
    ip: request.ip,
    approval_ttl_s: deps.config.limits.approval_ttl_s,
    challenges: challengeSettings(deps.config),
  });

  app.get(
    '/v1/approvals',
    {
      config: { scope: 'approvals:read' },
      schema: {
        tags,
        summary: 'List approvals',
        description: 'Newest first; filter by status and by the key that made the request.',
        querystring: ApprovalListQuery,
        response: { 200: ListOf(Approval), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { livemode, restrictions, key_id } = authOf(request);
      // An agent's key follows its parked requests, as it may retrieve each of them (restricted-routes.ts).
      const requester = restrictions === null ? undefined : key_id;
      return sendResult(request, reply, await listApprovals(deps.pool, livemode, request.query, requester));
    },
  );

  app.get(
    '/v1/approvals/:id',
    {
      config: { scope: 'approvals:read' },
      schema: {
        tags,
        summary: 'Retrieve an approval',
        description: 'The parked request, why it waits, and once approved what its execution answered.',
        params: IdParams,
        response: { 200: Approval, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getApproval(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/approvals/:id/approve',
    {
      config: { scope: 'approvals:write' },
      schema: {
        tags,
        summary: 'Approve and execute',
        description:
          "Executes the parked request once, now, on behalf of the key that made it (its spend limits and blocking risk rules still apply); the approval's result holds the answer. Approving again, even concurrently, is 409 approval_not_pending. The requesting key itself, and keys with restrictions or a spend policy, cannot decide.",
        params: IdParams,
        response: { 200: Approval, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) => approve(decider(request, db), request.params.id)),
  );

  app.post(
    '/v1/approvals/:id/reject',
    {
      config: { scope: 'approvals:write' },
      schema: {
        tags,
        summary: 'Reject',
        description: 'The parked request is never executed.',
        params: IdParams,
        response: { 200: Approval, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) => reject(decider(request, db), request.params.id)),
  );
}
