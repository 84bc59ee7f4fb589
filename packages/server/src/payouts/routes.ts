import { type Api, type RouteDeps, railContext, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { createPayoutBatch, getPayoutBatch } from './batches.js';
import {
  deletePayoutSchedule,
  getPayoutSchedule,
  PayoutSchedule,
  PayoutScheduleBody,
  setPayoutSchedule,
} from './schedules.js';
import { CreatePayoutBatchBody, CreatePayoutBody, Payout, PayoutBatch, PayoutListQuery } from './schemas.js';
import { createPayout, getPayout, listPayouts } from './service.js';

export function payoutRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Payouts'];

  app.post(
    '/v1/payouts',
    {
      config: { scope: 'payouts:write' },
      schema: {
        tags,
        summary: 'Pay out from a wallet',
        description:
          'Sends money from a wallet to a bank account, card or crypto address. The amount leaves the wallet at once; the payout goes pending → in_transit → paid, or failed / returned, which put the funds back in the wallet with failure_code. In test mode the sandbox moves it along (see docs/rails.md for the test data and POST /v1/test_helpers/payouts/:id/...); in live mode, bank payouts are gathered into ISO 20022 pain.001 files (POST /v1/payout_files).',
        body: CreatePayoutBody,
        response: { 201: Payout, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createPayout(railContext(deps, request, db), request.body),
      ),
  );

  app.get(
    '/v1/payouts',
    {
      config: { scope: 'payouts:read' },
      schema: {
        tags,
        summary: 'List payouts',
        description: 'Newest first; filter by wallet, status and batch.',
        querystring: PayoutListQuery,
        response: { 200: ListOf(Payout), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listPayouts(deps.pool, authOf(request).livemode, request.query)),
  );

  app.get(
    '/v1/payouts/:id',
    {
      config: { scope: 'payouts:read' },
      schema: {
        tags,
        summary: 'Retrieve a payout',
        description: 'The payout and where it stands.',
        params: IdParams,
        response: { 200: Payout, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getPayout(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/payout_batches',
    {
      config: { scope: 'payouts:write' },
      schema: {
        tags,
        summary: 'Create up to 1,000 payouts at once',
        description:
          'Each item is created or refused on its own (a refused item writes nothing); the answer has a result per item, in order.',
        body: CreatePayoutBatchBody,
        response: { 201: PayoutBatch, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createPayoutBatch(railContext(deps, request, db), request.body),
      ),
  );

  app.get(
    '/v1/payout_batches/:id',
    {
      config: { scope: 'payouts:read' },
      schema: {
        tags,
        summary: 'Retrieve a payout batch',
        description: 'Each item with its payout as it stands now, or its error.',
        params: IdParams,
        response: { 200: PayoutBatch, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await getPayoutBatch(deps.pool, authOf(request).livemode, request.params.id),
      ),
  );

  app.post(
    '/v1/wallets/:id/payout_schedule',
    {
      config: { scope: 'payouts:write' },
      schema: {
        tags,
        summary: "Set a wallet's payout schedule",
        description:
          'Daily, weekly (anchor: weekday 1-7) or monthly (anchor: day 1-28), at 00:00 UTC, the worker pays out the available balance above minimum_balance to the destination. Replaces any schedule the wallet had.',
        params: IdParams,
        body: PayoutScheduleBody,
        response: { 200: PayoutSchedule, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        setPayoutSchedule(railContext(deps, request, db), request.params.id, request.body),
      ),
  );

  app.get(
    '/v1/wallets/:id/payout_schedule',
    {
      config: { scope: 'payouts:read' },
      schema: {
        tags,
        summary: "A wallet's payout schedule",
        description: 'With its next run time.',
        params: IdParams,
        response: { 200: PayoutSchedule, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await getPayoutSchedule(
          { db: deps.pool, livemode: authOf(request).livemode, rails: deps.config.rails },
          request.params.id,
        ),
      ),
  );

  app.delete(
    '/v1/wallets/:id/payout_schedule',
    {
      config: { scope: 'payouts:write' },
      schema: {
        tags,
        summary: "Remove a wallet's payout schedule",
        description: 'Payouts it made stay as they are.',
        params: IdParams,
        response: { 200: PayoutSchedule, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        deletePayoutSchedule(railContext(deps, request, db), request.params.id),
      ),
  );
}
