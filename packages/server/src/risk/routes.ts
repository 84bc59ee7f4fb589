import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { listRiskDecisions } from './decisions.js';
import { createRiskRule, getRiskRule, listRiskRules, updateRiskRule } from './rules.js';
import {
  CreateRiskRuleBody,
  RiskDecision,
  RiskDecisionListQuery,
  RiskRule,
  RiskRuleListQuery,
  UpdateRiskRuleBody,
} from './schemas.js';

export function riskRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Risk'];

  app.post(
    '/v1/risk_rules',
    {
      config: { scope: 'risk_rules:write' },
      schema: {
        tags,
        summary: 'Create a risk rule',
        description:
          'Checked on every transfer, payout, escrow, release and refund of its currency in this mode, from the next request on. See docs/access.md for each type.',
        body: CreateRiskRuleBody,
        response: { 201: RiskRule, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createRiskRule(db, authOf(request).livemode, request.body, deps.config.limits, deps.clock.now()),
      ),
  );

  app.get(
    '/v1/risk_rules',
    {
      config: { scope: 'risk_rules:read' },
      schema: {
        tags,
        summary: 'List risk rules',
        description: 'Newest first; filter by enabled.',
        querystring: RiskRuleListQuery,
        response: { 200: ListOf(RiskRule), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listRiskRules(deps.pool, authOf(request).livemode, request.query)),
  );

  app.get(
    '/v1/risk_rules/:id',
    {
      config: { scope: 'risk_rules:read' },
      schema: {
        tags,
        summary: 'Retrieve a risk rule',
        description: 'Its type, thresholds, action and whether it is enabled.',
        params: IdParams,
        response: { 200: RiskRule, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getRiskRule(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/risk_rules/:id',
    {
      config: { scope: 'risk_rules:write' },
      schema: {
        tags,
        summary: 'Update a risk rule',
        description:
          'Rename it, change its action, enable or disable it, merge metadata. Thresholds are fixed: make a new rule.',
        params: IdParams,
        body: UpdateRiskRuleBody,
        response: { 200: RiskRule, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        updateRiskRule(
          db,
          authOf(request).livemode,
          request.params.id,
          request.body,
          deps.config.limits,
          deps.clock.now(),
        ),
      ),
  );

  app.get(
    '/v1/risk_decisions',
    {
      config: { scope: 'risk_rules:read' },
      schema: {
        tags,
        summary: 'List risk decisions',
        description:
          'Every time a rule matched a movement: blocked, parked for review or flagged. Filter by rule, by object (a transfer, payout, approval...) or by action.',
        querystring: RiskDecisionListQuery,
        response: { 200: ListOf(RiskDecision), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listRiskDecisions(deps.pool, authOf(request).livemode, request.query)),
  );
}
