import type { FastifyRequest } from 'fastify';
import type { Client } from '../db/pool.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { sendProblem } from '../http/problem.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { sanctionsScreen, screenHolder } from '../identity/holder-screening.js';
import { type DomainError, domainError } from '../shared/errors.js';
import { ok, type Result } from '../shared/result.js';
import { CreateHolderBody, Holder, HolderListQuery, UpdateHolderBody } from './schemas.js';
import { createHolder, getHolder, type HolderView, listHolders, updateHolder } from './service.js';

export function holderRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const sanctions = sanctionsScreen(deps.config.identity);
  /** A name given is screened against the sanctions list in the same transaction (docs/identity.md). */
  const screened = async (
    db: Client,
    livemode: boolean,
    name: string | null | undefined,
    result: Result<HolderView>,
  ): Promise<Result<HolderView>> => {
    if (!result.ok || typeof name !== 'string') return result;
    const ctx = { db, livemode, limits: deps.config.limits, now: deps.clock.now() };
    return ok(await screenHolder(ctx, sanctions, result.value));
  };
  const tags = ['Holders'];

  /**
   * Fields only an operator sets: a holder's KYC status and tier (which select the caps a key with
   * a spend policy is held to) and, once the holder exists, its email (where step-up codes go).
   */
  const operatorOnly = (request: FastifyRequest, fields: readonly string[]): DomainError | undefined => {
    if (authOf(request).spend_policy === null) return undefined;
    const body = request.body as Record<string, unknown>;
    const given = fields.find((field) => body[field] !== undefined);
    return given === undefined
      ? undefined
      : domainError('key_restricted', `A key with a spend policy cannot set a holder's ${given}.`, given);
  };

  app.post(
    '/v1/holders',
    {
      config: { scope: 'holders:write' },
      schema: {
        tags,
        summary: 'Create a holder',
        description:
          'A person or business that owns wallets. Every field is optional. A name that matches the sanctions list creates the holder rejected at tier 0 (docs/identity.md).',
        body: CreateHolderBody,
        response: { 201: Holder, ...errorResponses },
      },
    },
    (request, reply) => {
      const refused = operatorOnly(request, ['kyc_status', 'kyc_tier']);
      if (refused !== undefined) return sendProblem(request, reply, refused);
      return runMutation(mutation, request, reply, 201, async (db) => {
        const { livemode } = authOf(request);
        const created = await createHolder(db, livemode, request.body, deps.config.limits, deps.clock.now());
        return screened(db, livemode, request.body.name, created);
      });
    },
  );

  app.get(
    '/v1/holders',
    {
      config: { scope: 'holders:read' },
      schema: {
        tags,
        summary: 'List holders',
        description: 'Newest first; filter by external_id, email or kyc_status.',
        querystring: HolderListQuery,
        response: { 200: ListOf(Holder), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listHolders(deps.pool, authOf(request).livemode, request.query)),
  );

  app.get(
    '/v1/holders/:id',
    {
      config: { scope: 'holders:read' },
      schema: {
        tags,
        summary: 'Retrieve a holder',
        description: "Returns the holder, or 404 if no holder with this id exists in the key's mode.",
        params: IdParams,
        response: { 200: Holder, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getHolder(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/holders/:id',
    {
      config: { scope: 'holders:write' },
      schema: {
        tags,
        summary: 'Update a holder',
        description:
          'Sets the fields given; null clears name, email or external_id; metadata merges, "" removes a key.',
        params: IdParams,
        body: UpdateHolderBody,
        response: { 200: Holder, ...errorResponses },
      },
    },
    (request, reply) => {
      const refused = operatorOnly(request, ['kyc_status', 'kyc_tier', 'email']);
      if (refused !== undefined) return sendProblem(request, reply, refused);
      return runMutation(mutation, request, reply, 200, async (db) => {
        const { livemode } = authOf(request);
        const { id } = request.params;
        const updated = await updateHolder(
          db,
          livemode,
          id,
          request.body,
          deps.config.limits,
          deps.clock.now(),
        );
        return screened(db, livemode, request.body.name, updated);
      });
    },
  );
}
