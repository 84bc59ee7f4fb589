import { Parked } from '../challenges/schemas.js';
import { refund_endpoint } from '../guard/endpoints.js';
import { guardedMutation } from '../guard/route.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { CreateRefundBody, Refund, RefundListQuery } from './schemas.js';
import { getRefund, listRefunds } from './service.js';

export function refundRoutes(app: Api, deps: RouteDeps): void {
  const tags = ['Refunds'];

  app.post(
    '/v1/refunds',
    {
      config: { scope: 'refunds:write' },
      schema: {
        tags,
        summary: 'Refund a payment or a transfer',
        description:
          'Returns all (default) or part of a succeeded payment or a posted transfer, never beyond what remains after earlier refunds. Every account that received money gives back its share in proportion to what it still holds (fee and splits included; largest-remainder rounding, so a full refund returns every part exactly). A wallet that has spent its share makes the refund fail with insufficient_funds, unless cover_wallet_id names a platform wallet to pay the difference. Payment refunds go back through the rail: cards and crypto at once, bank refunds are pending until the rail confirms.',
        body: CreateRefundBody,
        response: { 201: Refund, 202: Parked, ...errorResponses },
      },
    },
    (request, reply) => guardedMutation(deps, request, reply, refund_endpoint),
  );

  app.get(
    '/v1/refunds',
    {
      config: { scope: 'refunds:read' },
      schema: {
        tags,
        summary: 'List refunds',
        description: 'Newest first; filter by payment or transfer.',
        querystring: RefundListQuery,
        response: { 200: ListOf(Refund), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listRefunds(deps.pool, authOf(request).livemode, request.query)),
  );

  app.get(
    '/v1/refunds/:id',
    {
      config: { scope: 'refunds:read' },
      schema: {
        tags,
        summary: 'Retrieve a refund',
        description: 'The refund with the share each account gave back.',
        params: IdParams,
        response: { 200: Refund, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getRefund(deps.pool, authOf(request).livemode, request.params.id)),
  );
}
