import { Type } from '@sinclair/typebox';
import { Parked } from '../challenges/schemas.js';
import { payment_endpoint } from '../guard/endpoints.js';
import { guardedMutation } from '../guard/route.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf, Timestamp } from '../http/schemas.js';
import { findWallet } from '../ledger/accounts.js';
import { depositAddress } from '../rails/deposit-addresses.js';
import { cryptoNetwork } from '../rails/index.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail, ok } from '../shared/result.js';
import { CreatePaymentBody, Payment, PaymentListQuery } from './schemas.js';
import { getPayment, listPayments } from './service.js';

const DepositAddress = Type.Object(
  {
    object: Type.Literal('deposit_address'),
    address: Type.String({ examples: ['0x52908400098527886e0f7030069857d2e4169ee7'] }),
    network: Type.String({ examples: ['ethereum'] }),
    wallet_id: Type.String(),
    livemode: Type.Boolean(),
    created_at: Timestamp,
  },
  { $id: 'DepositAddress' },
);

export function paymentRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Payments'];

  app.post(
    '/v1/payments',
    {
      config: { scope: 'payments:write' },
      schema: {
        tags,
        summary: 'Take a payment into a wallet',
        description:
          'Collects money through a rail (card, bank account or crypto) into a wallet, with an optional fee and splits applied atomically when it succeeds. Cards decide at once: 4242424242424242 succeeds, 4000000000000002 makes a `failed` payment with failure_code card_declined. Bank debits and crypto deposits start `processing`. See docs/rails.md for all sandbox test data. Screened before the rail is asked, as every movement is: a risk rule (an amount, the balance cap of a KYC tier on the wallet or a split) can refuse it with 403 risk_blocked or park it as an approval (202).',
        body: CreatePaymentBody,
        response: { 201: Payment, 202: Parked, ...errorResponses },
      },
    },
    // A pay-in is a movement like any other: restrictions, spend policy and risk rules screen it.
    (request, reply) => guardedMutation(deps, request, reply, payment_endpoint),
  );

  app.get(
    '/v1/payments',
    {
      config: { scope: 'payments:read' },
      schema: {
        tags,
        summary: 'List payments',
        description: 'Newest first; filter by wallet and status.',
        querystring: PaymentListQuery,
        response: { 200: ListOf(Payment), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listPayments(deps.pool, authOf(request).livemode, request.query)),
  );

  app.get(
    '/v1/payments/:id',
    {
      config: { scope: 'payments:read' },
      schema: {
        tags,
        summary: 'Retrieve a payment',
        description: 'The payment with its status, fee, splits, refunds and settlement.',
        params: IdParams,
        response: { 200: Payment, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getPayment(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/wallets/:id/deposit_addresses',
    {
      config: { scope: 'payments:write' },
      schema: {
        tags,
        summary: "A wallet's crypto deposit address",
        description:
          'The address that credits this wallet when crypto arrives on the network, made on first use; asking again returns the same address. Test mode simulates deposits with POST /v1/test_helpers/crypto_deposits.',
        params: IdParams,
        body: Type.Object(
          { network: Type.String({ maxLength: 32, examples: ['ethereum'] }) },
          { additionalProperties: false, examples: [{ network: 'ethereum' }] },
        ),
        response: { 200: DepositAddress, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, async (db) => {
        const { livemode } = authOf(request);
        const wallet = await findWallet(db, livemode, request.params.id);
        if (wallet === undefined) return fail(notFound('wallet', request.params.id));
        const network = cryptoNetwork(
          deps.config.rails,
          livemode,
          request.body.network,
          wallet.asset,
          'network',
        );
        if (!network.ok)
          return fail(
            network.error.code === 'currency_mismatch'
              ? domainError(
                  'invalid_request',
                  `The ${request.body.network} network cannot carry ${wallet.asset}.`,
                  'network',
                )
              : network.error,
          );
        const now = deps.clock.now();
        return ok(
          await depositAddress(db, livemode, wallet.id, request.body.network, now, deps.config.rails.evm),
        );
      }),
  );
}
