import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, ListOf } from '../http/schemas.js';
import { Asset, AssetListQuery, AssetParams, CreateAssetBody } from './schemas.js';
import { createAsset, getAsset, listAssets } from './service.js';

export function assetRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };

  app.get(
    '/v1/assets',
    {
      config: { scope: 'assets:read' },
      schema: {
        tags: ['Assets'],
        summary: 'List assets',
        description:
          'Built-in currencies and crypto assets with their scales, then custom assets, in code order.',
        querystring: AssetListQuery,
        response: { 200: ListOf(Asset), ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.send(await listAssets(deps.pool, authOf(request).livemode, request.query)),
  );

  app.get(
    '/v1/assets/:code',
    {
      config: { scope: 'assets:read' },
      schema: {
        tags: ['Assets'],
        summary: 'Retrieve an asset',
        description: 'Look an asset up by its code, such as USD or BTC.',
        params: AssetParams,
        response: { 200: Asset, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getAsset(deps.pool, authOf(request).livemode, request.params.code)),
  );

  app.post(
    '/v1/assets',
    {
      config: { scope: 'assets:write' },
      schema: {
        tags: ['Assets'],
        summary: 'Create a custom asset',
        description: "Adds an asset such as a game currency or loyalty points, in the key's mode.",
        body: CreateAssetBody,
        response: { 201: Asset, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 201, (db) =>
        createAsset(db, authOf(request).livemode, request.body, deps.clock.now()),
      ),
  );
}
