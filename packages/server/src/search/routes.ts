import type { Api, RouteDeps } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { errorResponses } from '../http/schemas.js';
import { SearchQuery, SearchResults, search_results_default } from './schemas.js';
import { search, search_scopes } from './service.js';

export function searchRoutes(app: Api, deps: RouteDeps): void {
  const [first, ...rest] = Object.values(search_scopes);
  if (first === undefined) throw new Error('search reads no kind of object');
  app.get(
    '/v1/search',
    {
      config: { scope: { any: [first, ...rest] } },
      schema: {
        tags: ['Search'],
        summary: 'Search holders, wallets, transfers, payments and payouts',
        description:
          'Holders by id, external id or email; wallets by id; transfers, payments and payouts by id or exact amount ("12.34", in every asset with enough decimals). Newest first. Needs one of holders:read, wallets:read, transfers:read, payments:read, payouts:read and answers only the kinds the key can read. Closed to restricted keys and keys with a spend policy (key_restricted): it looks across the whole platform.',
        querystring: SearchQuery,
        response: { 200: SearchResults, ...errorResponses },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const { hits, more } = await deps.reads.run((pool) =>
        search(pool, {
          q: request.query.q,
          limit: request.query.limit ?? search_results_default,
          livemode: auth.livemode,
          scopes: auth.scopes,
        }),
      );
      return reply.send({ object: 'list', data: hits, has_more: more });
    },
  );
}
