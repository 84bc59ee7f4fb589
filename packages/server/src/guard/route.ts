import type { FastifyReply, FastifyRequest } from 'fastify';
import { challengeSettings } from '../challenges/service.js';
import type { Client } from '../db/pool.js';
import { type RouteDeps, railContext } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runGroupedMutation } from '../http/grouped-mutation.js';
import { runMutation } from '../http/mutation.js';
import { enabledRules } from '../risk/rules.js';
import type { MoneyEndpoint } from './endpoints.js';
import { type GuardRequest, needsScreen, screenMovements } from './screen.js';

/** What is screened about a request: who asks, when, and what to store if it is parked. */
export function guardRequest(
  deps: RouteDeps,
  request: FastifyRequest,
  route: string,
  approved = false,
): GuardRequest {
  return {
    auth: authOf(request),
    request_id: request.id,
    now: deps.clock.now(),
    approval_ttl_s: deps.config.limits.approval_ttl_s,
    route,
    params: (request.params ?? {}) as Record<string, string>,
    body: request.body,
    approved,
    four_eyes_refund_minor: deps.config.operators.four_eyes_refund_minor,
    challenges: challengeSettings(deps.config),
  };
}

/**
 * Runs a money endpoint through runMutation with its access checks in the same transaction:
 * restrictions, spend policy and risk rules before the effect, their bookkeeping after it. A key
 * with none of these in a mode with no enabled rule pays one indexed query for the check.
 */
export function guardedMutation<B, T>(
  deps: RouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  endpoint: MoneyEndpoint<B, T>,
): Promise<FastifyReply> {
  const body = request.body as B;
  const params = (request.params ?? {}) as Record<string, string>;
  const guard = guardRequest(deps, request, endpoint.route);
  const work = (db: Client) => endpoint.execute(railContext(deps, request, db), body, params, request.id);
  const options = {
    screen: async (db: Client) => {
      const rules = await enabledRules(db, guard.auth.livemode);
      if (!needsScreen(guard.auth, rules))
        return { verdict: 'proceed' as const, after: async () => undefined };
      const movements = await endpoint.movements(db, guard.auth.livemode, body, params);
      return screenMovements(db, guard, rules, movements, endpoint.objects);
    },
  };
  const limits = deps.config.limits;
  return endpoint.grouped === true
    ? runGroupedMutation(deps.mutation_commit, limits, request, reply, endpoint.success_status, work, options)
    : runMutation({ pool: deps.pool, limits }, request, reply, endpoint.success_status, work, options);
}
