import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { viewsWithScale } from '../assets/scaled-views.js';
import { Parked } from '../challenges/schemas.js';
import type { Client } from '../db/pool.js';
import { crypto_deposit_endpoint } from '../guard/endpoints.js';
import { guardedMutation } from '../guard/route.js';
import { type Api, type RouteDeps, railContext } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams } from '../http/schemas.js';
import { CryptoDepositBody } from '../payments/deposits.js';
import { applyPaymentUpdate, type PaymentUpdate, settleWalletNow } from '../payments/lifecycle.js';
import { Payment } from '../payments/schemas.js';
import { paymentView } from '../payments/view.js';
import { applyPayoutUpdate, type PayoutUpdate } from '../payouts/lifecycle.js';
import { PayoutSchedule, runScheduleNow } from '../payouts/schedules.js';
import { Payout } from '../payouts/schemas.js';
import { payoutView } from '../payouts/view.js';
import { failure_codes } from '../rails/failure-codes.js';
import { Refund } from '../refunds/schemas.js';
import { completeRefund, failRefund } from '../refunds/service.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { Wallet } from '../wallets/schemas.js';
import { getWallet } from '../wallets/service.js';

const FailureBody = Type.Object(
  {
    failure_code: Type.Optional(
      Type.Union(
        Object.keys(failure_codes).map((code) => Type.Literal(code)),
        { description: 'Default: the usual one for the rail.' },
      ),
    ),
  },
  { additionalProperties: false, examples: [{ failure_code: 'account_closed' }] },
);
const EmptyBody = Type.Optional(Type.Object({}, { additionalProperties: false, examples: [{}] }));

/**
 * Test-mode endpoints that play the rail: move a sandbox payment, payout or refund to its next
 * state now instead of waiting for the sandbox's own schedule, simulate a crypto deposit, settle a
 * wallet or run its payout schedule. The state machines are the real ones: a helper asking for a
 * transition the object cannot make gets invalid_state, and a later automatic step that finds the
 * object already moved does nothing.
 */
export function testHelperRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Test helpers'];
  const helper = <T>(
    request: FastifyRequest,
    reply: Parameters<typeof runMutation>[2],
    work: (db: Client) => Promise<Result<T>>,
  ) =>
    runMutation(mutation, request, reply, 200, (db) =>
      authOf(request).livemode
        ? Promise.resolve(fail(domainError('test_mode_only', 'Test helpers act on test-mode objects only.')))
        : work(db),
    );
  const options = (summary: string, description: string, response: object, body: object = EmptyBody) => ({
    config: { scope: 'test_helpers:write' as const },
    schema: {
      tags,
      summary,
      description,
      params: IdParams,
      body,
      response: { 200: response, ...errorResponses },
    },
  });

  const payment = (status: PaymentUpdate['status'], summary: string, description: string, body?: object) =>
    app.post<{ Params: { id: string }; Body: { failure_code?: string } | undefined }>(
      `/v1/test_helpers/payments/:id/${status === 'confirming' ? 'confirm' : status === 'succeeded' ? 'succeed' : 'fail'}`,
      options(summary, description, Payment, body),
      (request, reply) =>
        helper(request, reply, async (db) => {
          const now = deps.clock.now();
          const update = { status, failure_code: request.body?.failure_code };
          const result = await applyPaymentUpdate(db, false, request.params.id, update, now);
          if (!result.ok) return result;
          if (
            result.value.status !== 'processing' &&
            status !== result.value.status &&
            status !== 'confirming'
          )
            return fail(
              domainError('invalid_state', `Payment ${request.params.id} is already ${result.value.status}.`),
            );
          const [view] = await viewsWithScale(db, false, [result.value], paymentView);
          return view === undefined ? fail(notFound('payment', request.params.id)) : ok(view);
        }),
    );
  payment(
    'succeeded',
    'Make a processing payment succeed',
    'Credits the wallet (and splits and fee) as the rail confirming it would.',
  );
  payment(
    'failed',
    'Make a processing payment fail',
    'As a returned bank debit or a dropped crypto deposit.',
    FailureBody,
  );
  payment(
    'confirming',
    'Add a block confirmation to a crypto payment',
    'The last one needed makes it succeed only through /succeed or the sandbox schedule.',
  );

  const payout = (status: PayoutUpdate['status'], path: string, summary: string, body?: object) =>
    app.post<{ Params: { id: string }; Body: { failure_code?: string } | undefined }>(
      `/v1/test_helpers/payouts/:id/${path}`,
      options(
        summary,
        'Moves the payout now, as its rail reporting it would; failed and returned put the funds back.',
        Payout,
        body,
      ),
      (request, reply) =>
        helper(request, reply, async (db) => {
          const now = deps.clock.now();
          const id = request.params.id;
          // Paying a payout the rail has not taken yet takes it first, as the rail would.
          if (status === 'paid') await applyPayoutUpdate(db, false, id, { status: 'in_transit' }, now);
          const update = { status, failure_code: request.body?.failure_code };
          const result = await applyPayoutUpdate(db, false, id, update, now);
          if (!result.ok) return result;
          if (result.value.status !== status)
            return fail(
              domainError('invalid_state', `Payout ${request.params.id} is ${result.value.status}.`),
            );
          const [view] = await viewsWithScale(db, false, [result.value], payoutView);
          return view === undefined ? fail(notFound('payout', request.params.id)) : ok(view);
        }),
    );
  payout('in_transit', 'in_transit', 'Send a pending payout');
  payout('paid', 'pay', 'Mark an in-transit payout paid');
  payout('failed', 'fail', 'Fail a pending or in-transit payout', FailureBody);
  payout('returned', 'return', 'Return a paid payout', FailureBody);

  app.post<{ Params: { id: string } }>(
    '/v1/test_helpers/refunds/:id/succeed',
    options('Confirm a pending bank refund', 'As the bank confirming the refund would.', Refund),
    (request, reply) =>
      helper(request, reply, (db) => completeRefund(db, false, request.params.id, deps.clock.now())),
  );

  app.post<{ Params: { id: string }; Body: { failure_code?: string } | undefined }>(
    '/v1/test_helpers/refunds/:id/fail',
    options(
      'Fail a pending bank refund',
      'The bank could not return it: every account gets its share back, and the payment can be refunded again.',
      Refund,
      FailureBody,
    ),
    (request, reply) =>
      helper(request, reply, (db) =>
        failRefund(
          db,
          false,
          request.params.id,
          request.body?.failure_code ?? 'could_not_process',
          deps.clock.now(),
        ),
      ),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/test_helpers/wallets/:id/settle',
    options(
      'Settle a wallet now',
      "Makes the wallet's pending payment funds available now, as if its settlement delay had passed.",
      Wallet,
    ),
    (request, reply) =>
      helper(request, reply, async (db) => {
        const settled = await settleWalletNow(db, false, request.params.id, deps.clock.now());
        return settled.ok ? getWallet(db, false, request.params.id) : settled;
      }),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/test_helpers/wallets/:id/run_payout_schedule',
    options(
      'Run a payout schedule now',
      "Pays out as the wallet's schedule would at its next run, and moves the next run on.",
      PayoutSchedule,
    ),
    (request, reply) =>
      helper(request, reply, (db) => runScheduleNow(railContext(deps, request, db), request.params.id)),
  );

  app.post(
    '/v1/test_helpers/crypto_deposits',
    {
      config: { scope: 'test_helpers:write' },
      schema: {
        tags,
        summary: 'Simulate an on-chain deposit',
        description:
          'Money arrives at a deposit address (POST /v1/wallets/:id/deposit_addresses): a processing payment into its wallet, which succeeds once the sandbox chain has confirmed it (one confirmation per sandbox step, or /v1/test_helpers/payments/:id/succeed).',
        body: CryptoDepositBody,
        response: { 200: Payment, 202: Parked, ...errorResponses },
      },
    },
    // Money coming in, screened as a pay-in: a risk rule can refuse it or park it for review.
    (request, reply) => guardedMutation(deps, request, reply, crypto_deposit_endpoint),
  );
}
