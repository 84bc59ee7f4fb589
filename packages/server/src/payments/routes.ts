import { type Api, type RouteDeps, sendResult, writeContext } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams } from '../http/schemas.js';
import { CreatePaymentBody, Payment } from './schemas.js';
import { createPayment, getPayment } from './service.js';

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
          'Charges a card and credits the wallet. In test mode, card 4242424242424242 succeeds and 4000000000000002 is declined (402 card_declined).',
        body: CreatePaymentBody,
        response: { 201: Payment, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createPayment(writeContext(deps, request, db), request.body),
      ),
  );

  app.get(
    '/v1/payments/:id',
    {
      config: { scope: 'payments:read' },
      schema: {
        tags,
        summary: 'Retrieve a payment',
        description: 'The payment with its status and card summary.',
        params: IdParams,
        response: { 200: Payment, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getPayment(deps.pool, authOf(request).livemode, request.params.id)),
  );
}
