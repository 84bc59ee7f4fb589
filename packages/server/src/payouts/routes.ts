import { Type } from '@sinclair/typebox';
import { Parked } from '../challenges/schemas.js';
import {
  payout_batch_endpoint,
  payout_cancel_endpoint,
  payout_endpoint,
  payout_retry_endpoint,
} from '../guard/endpoints.js';
import { guardedMutation } from '../guard/route.js';
import { type Api, type RouteDeps, railContext, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { Currency } from '../http/money-schemas.js';
import { runMutation } from '../http/mutation.js';
import { sendProblem } from '../http/problem.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { createPayoutFile, getPayoutFile, PayoutFile, payoutFileXml } from './bank-files.js';
import {
  BankStatement,
  getBankStatement,
  ImportBankStatementBody,
  importBankStatement,
} from './bank-statements.js';
import { getPayoutBatch } from './batches.js';
import {
  deletePayoutSchedule,
  getPayoutSchedule,
  PayoutSchedule,
  PayoutScheduleBody,
  setPayoutSchedule,
} from './schedules.js';
import { CreatePayoutBatchBody, CreatePayoutBody, Payout, PayoutBatch, PayoutListQuery } from './schemas.js';
import { getPayout, listPayouts } from './service.js';

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
          'Sends money from a wallet to a bank account, card or crypto address. The amount leaves the wallet at once; the payout goes pending → in_transit → paid, or failed / returned, which put the funds back in the wallet with failure_code. A payout not yet handed to its rail can be canceled (POST /v1/payouts/:id/cancel); a failed or returned one can be retried once as a new payout (POST /v1/payouts/:id/retry). In test mode the sandbox moves it along (see docs/rails.md for the test data and POST /v1/test_helpers/payouts/:id/...); in live mode, bank payouts are gathered into ISO 20022 pain.001 files (POST /v1/payout_files).',
        body: CreatePayoutBody,
        response: { 201: Payout, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, payout_endpoint),
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

  payoutActionRoutes(app, deps);

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
        response: { 201: PayoutBatch, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, payout_batch_endpoint),
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

  bankFileRoutes(app, deps);
}

/**
 * Cancel and retry (docs/rails.md, "Cancel and retry"): money endpoints screened like
 * POST /v1/payouts, so a restricted or policy-bound key does with them only what it could do there.
 */
function payoutActionRoutes(app: Api, deps: RouteDeps): void {
  const tags = ['Payouts'];
  app.post(
    '/v1/payouts/:id/cancel',
    {
      config: { scope: 'payouts:write' },
      schema: {
        tags,
        summary: 'Cancel a payout',
        description:
          "Cancels a payout that has not left Purse: status pending and not yet handed to its rail (live bank payouts: not yet in a pain.001 file; EVM payouts: no transaction signed yet; sandbox payouts: before the rail accepts it, its first step to in_transit). The amount goes back to the wallet in the same transaction (a converted payout's conversion is reversed), the payout becomes canceled and payout.canceled is sent; whatever the rail reports later changes nothing. Anything else is 409 invalid_state, with nothing changed. Takes no body.",
        params: IdParams,
        response: { 200: Payout, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, payout_cancel_endpoint),
  );

  app.post(
    '/v1/payouts/:id/retry',
    {
      config: { scope: 'payouts:write' },
      schema: {
        tags,
        summary: 'Retry a failed or returned payout',
        description:
          "Makes a NEW payout (201) from the same wallet, for the same amount and currency, to the same destination as stored (its token: the account number is never asked for again); the failed or returned payout stays as it is. The new payout's retry_of names the old one, whose retried_by names the new one: a payout is retried once (a second retry is 409 invalid_state, as is a payout in any other status, or one that converted on its way: make a new payout with a fresh quote). The wallet pays again, screened as POST /v1/payouts is (restrictions, spend policy, risk rules; 202 when parked for approval); insufficient_funds if it cannot. Takes no body.",
        params: IdParams,
        response: { 201: Payout, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, payout_retry_endpoint),
  );
}

/**
 * The live bank rail: pain.001 files out, camt.053/054 statements in. Writing either is the
 * operator's work (scope `bank_files:write`, closed to restricted and policy-bound keys): a
 * statement puts returned payouts back in their wallets, so whoever may import one decides money.
 */
function bankFileRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Bank files'];

  app.post(
    '/v1/payout_files',
    {
      config: { scope: 'bank_files:write' },
      schema: {
        tags,
        summary: 'Gather pending bank payouts into a pain.001 file',
        description:
          "Puts every pending bank-file payout in the currency (live mode's bank payouts) into one ISO 20022 pain.001.001.09 credit-transfer file from the platform's account (PURSE_BANK_DEBTOR_*), and marks them in_transit. Download it from /v1/payout_files/:id/xml and send it to the bank.",
        body: Type.Object(
          { currency: Currency },
          { additionalProperties: false, examples: [{ currency: 'EUR' }] },
        ),
        response: { 201: PayoutFile, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createPayoutFile(railContext(deps, request, db), request.body.currency),
      ),
  );

  app.get(
    '/v1/payout_files/:id',
    {
      config: { scope: 'payouts:read' },
      schema: {
        tags,
        summary: 'Retrieve a payout file',
        description: 'What the file holds.',
        params: IdParams,
        response: { 200: PayoutFile, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getPayoutFile(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.get(
    '/v1/payout_files/:id/xml',
    {
      config: { scope: 'bank_files:read' },
      schema: {
        tags,
        summary: 'Download a payout file',
        description: 'The pain.001.001.09 document, as application/xml.',
        params: IdParams,
        produces: ['application/xml'],
        response: { 200: Type.String({ description: 'The XML document.' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const xml = await payoutFileXml(deps.pool, authOf(request).livemode, request.params.id);
      return xml.ok
        ? reply.type('application/xml; charset=utf-8').send(xml.value)
        : sendProblem(request, reply, xml.error);
    },
  );

  app.post(
    '/v1/bank_statements',
    {
      config: { scope: 'bank_files:write' },
      schema: {
        tags,
        summary: "Import the bank's camt.053 or camt.054 file",
        description:
          'Marks the payouts it reports paid or returned (returned money goes back to the wallet). Importing the same file again (same message id) returns the first import and changes nothing.',
        body: ImportBankStatementBody,
        response: { 201: BankStatement, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        importBankStatement(db, authOf(request).livemode, request.body.xml, deps.clock.now()),
      ),
  );

  app.get(
    '/v1/bank_statements/:id',
    {
      config: { scope: 'payouts:read' },
      schema: {
        tags,
        summary: 'Retrieve an imported bank statement',
        description: 'With what was done with each entry.',
        params: IdParams,
        response: { 200: BankStatement, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await getBankStatement(deps.pool, authOf(request).livemode, request.params.id),
      ),
  );
}
