import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditSubject } from '../audit/request.js';
import { Parked } from '../challenges/schemas.js';
import {
  capture_endpoint,
  type MoneyEndpoint,
  transfer_batch_endpoint,
  transfer_endpoint,
} from '../guard/endpoints.js';
import { guardedMutation, guardRequest } from '../guard/route.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { sendOutcome } from '../http/grouped-mutation.js';
import { idempotencyKey, runMutation } from '../http/mutation.js';
import { sendProblem } from '../http/problem.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { requestFingerprint } from '../requests/idempotency-store.js';
import type { TransferInput } from './prepare.js';
import {
  BatchBody,
  BatchResult,
  CaptureBody,
  CreateTransferBody,
  Transfer,
  TransferListQuery,
} from './schemas.js';
import { getTransfer, listTransfers, voidTransfer } from './service.js';

export function transferRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Transfers'];

  app.post(
    '/v1/transfers',
    {
      config: { scope: 'transfers:write' },
      schema: {
        tags,
        summary: 'Create a transfer',
        description:
          'Moves money from one wallet to one destination or splits it across up to 100 (by amount, percent or remainder), with an optional fee. With hold: true the funds are reserved until captured, voided or expired.',
        body: CreateTransferBody,
        response: { 201: Transfer, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) =>
      // A transfer that converts locks its quote: one request, one transaction, outside the batches.
      request.body.quote_id === undefined
        ? submit(deps, request, reply, [request.body], transfer_endpoint)
        : guardedMutation(deps, request, reply, transfer_endpoint),
  );

  app.post(
    '/v1/transfers/batch',
    {
      config: { scope: 'transfers:write' },
      schema: {
        tags,
        summary: 'Create up to 1,000 transfers',
        description:
          'Applied in order through the same group-commit engine and ledger write as single transfers. atomic: true commits all or none; otherwise each item has its own result.',
        body: BatchBody,
        response: { 200: BatchResult, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) =>
      submit(deps, request, reply, request.body.transfers, transfer_batch_endpoint, {
        atomic: request.body.atomic === true,
      }),
  );

  app.get(
    '/v1/transfers',
    {
      config: { scope: 'transfers:read' },
      schema: {
        tags,
        summary: 'List transfers',
        description: 'Newest first; filter by wallet (source or destination), status and creation time.',
        querystring: TransferListQuery,
        response: { 200: ListOf(Transfer), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listTransfers(deps.pool, authOf(request).livemode, request.query)),
  );

  app.get(
    '/v1/transfers/:id',
    {
      config: { scope: 'transfers:read' },
      schema: {
        tags,
        summary: 'Retrieve a transfer',
        description: 'The transfer with its status and resolved destinations.',
        params: IdParams,
        response: { 200: Transfer, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getTransfer(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/transfers/:id/capture',
    {
      config: { scope: 'transfers:write' },
      schema: {
        tags,
        summary: 'Capture a hold',
        description:
          'Moves all of a pending transfer, or part of it (fee and destinations in proportion); the rest is released.',
        params: IdParams,
        body: CaptureBody,
        response: { 200: Transfer, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, capture_endpoint),
  );

  app.post(
    '/v1/transfers/:id/void',
    {
      config: { scope: 'transfers:write' },
      schema: {
        tags,
        summary: 'Void a hold',
        description: 'Releases a pending transfer: the reserved funds become available to the source again.',
        params: IdParams,
        response: { 200: Transfer, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        voidTransfer(db, authOf(request).livemode, request.params.id, deps.clock.now()),
      ),
  );
}

/** Hands transfers to the group-commit engine and answers with what it recorded. */
async function submit(
  deps: RouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  inputs: readonly TransferInput[],
  endpoint: MoneyEndpoint<never, unknown>,
  batch?: { atomic: boolean },
): Promise<FastifyReply> {
  const key = idempotencyKey(request, deps.config.limits);
  if (typeof key === 'object') return sendProblem(request, reply, key);
  const { key_id, livemode } = authOf(request);
  const outcome = await deps.transfer_commit.submit({
    api_key_id: key_id,
    livemode,
    request_id: request.id,
    ...(key === undefined
      ? {}
      : { idempotency: { key, fingerprint: requestFingerprint(request.method, request.url, request.body) } }),
    inputs,
    ...(batch === undefined ? {} : { batch }),
    audit: auditSubject(request),
    guard: guardRequest(deps, request, endpoint.route),
  });
  return sendOutcome(request, reply, outcome);
}
