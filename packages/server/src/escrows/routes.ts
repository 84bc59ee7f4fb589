import { Parked } from '../challenges/schemas.js';
import {
  escrow_cancel_endpoint,
  escrow_endpoint,
  escrow_release_endpoint,
  escrow_resolve_endpoint,
} from '../guard/endpoints.js';
import { guardedMutation } from '../guard/route.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import {
  CreateEscrowBody,
  DisputeBody,
  Escrow,
  EscrowListQuery,
  ReleaseBody,
  ResolveBody,
} from './schemas.js';
import { getEscrow, listEscrows } from './service.js';
import { disputeEscrow } from './transitions.js';

export function escrowRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Escrows'];
  const responses = { 200: Escrow, ...errorResponses };

  app.post(
    '/v1/escrows',
    {
      config: { scope: 'escrows:write' },
      schema: {
        tags,
        summary: 'Create an escrow',
        description:
          "Takes the amount from the payer's wallet at once (402 insufficient_funds if it cannot) and holds it for the payee, optionally split into milestones and with an automatic release or refund date.",
        body: CreateEscrowBody,
        response: { 201: Escrow, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, escrow_endpoint),
  );

  app.get(
    '/v1/escrows',
    {
      config: { scope: 'escrows:read' },
      schema: {
        tags,
        summary: 'List escrows',
        description: 'Newest first; filter by payer wallet, payee wallet and status.',
        querystring: EscrowListQuery,
        response: { 200: ListOf(Escrow), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listEscrows(deps.pool, authOf(request).livemode, request.query)),
  );

  app.get(
    '/v1/escrows/:id',
    {
      config: { scope: 'escrows:read' },
      schema: {
        tags,
        summary: 'Retrieve an escrow',
        description:
          'The escrow with its amounts released, refunded and remaining, its milestones and its dispute.',
        params: IdParams,
        response: responses,
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getEscrow(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/escrows/:id/release',
    {
      config: { scope: 'escrows:write' },
      schema: {
        tags,
        summary: 'Release to the payee',
        description:
          'Pays one milestone (each at most once), or an amount up to what remains, to the payee. Releasing the last of it ends the escrow as released.',
        params: IdParams,
        body: ReleaseBody,
        response: { ...responses, 202: Parked },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, escrow_release_endpoint),
  );

  app.post(
    '/v1/escrows/:id/cancel',
    {
      config: { scope: 'escrows:write' },
      schema: {
        tags,
        summary: 'Cancel an escrow',
        description: 'Returns everything that remains to the payer and ends the escrow as canceled.',
        params: IdParams,
        response: { ...responses, 202: Parked },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, escrow_cancel_endpoint),
  );

  app.post(
    '/v1/escrows/:id/dispute',
    {
      config: { scope: 'escrows:write' },
      schema: {
        tags,
        summary: 'Dispute an escrow',
        description:
          'Freezes a held escrow: releases, cancels and the automatic date are refused (409 escrow_disputed) or skipped until it is resolved.',
        params: IdParams,
        body: DisputeBody,
        response: responses,
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        disputeEscrow(db, authOf(request).livemode, request.params.id, request.body.reason, deps.clock.now()),
      ),
  );

  app.post(
    '/v1/escrows/:id/resolve',
    {
      config: { scope: 'escrows:write' },
      schema: {
        tags,
        summary: 'Resolve a dispute',
        description:
          'release pays everything remaining to the payee, refund returns it to the payer, resume puts the escrow back to held.',
        params: IdParams,
        body: ResolveBody,
        response: { ...responses, 202: Parked },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, escrow_resolve_endpoint),
  );
}
