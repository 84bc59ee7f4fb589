import type { FastifyRequest } from 'fastify';
import type { Client } from '../db/pool.js';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf } from '../http/auth.js';
import { runMutation } from '../http/mutation.js';
import { errorResponses, IdParams, ListOf, PageQuerystring } from '../http/schemas.js';
import { pageQuery } from '../shared/pagination.js';
import { listDeliveries } from './delivery-log.js';
import {
  createEndpoint,
  deleteEndpoint,
  type EndpointContext,
  getEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
} from './endpoints.js';
import { replayEvents } from './replay.js';
import {
  CreateEndpointBody,
  DeletedEndpoint,
  Delivery,
  DeliveryListQuery,
  ReplayBody,
  ReplayResult,
  RotateSecretBody,
  UpdateEndpointBody,
  WebhookEndpoint,
} from './schemas.js';
import type { EndpointView } from './view.js';

/**
 * The secret exists in a response only when created or rotated; the idempotency record keeps the
 * response without it, so a replay shows the endpoint but not its secret (rotate it if lost).
 */
const without_secret = {
  replay_body: ({ secret: _secret, ...rest }: EndpointView & { secret: string }) => rest,
};

/**
 * Creating or changing an endpoint, and replaying to one, choose which events go to which URL: a
 * key that may not read events could otherwise send every one to a URL of its own (second attack,
 * F6). `events:read` reads every event type, so it is exactly what such an endpoint reveals.
 */
const sends_events_scopes = ['webhook_endpoints:write', 'events:read'] as const;
const needs_events_read = ' Needs `events:read` as well as `webhook_endpoints:write`.';

export function webhookEndpointRoutes(app: Api, deps: RouteDeps): void {
  const mutation = { pool: deps.pool, limits: deps.config.limits };
  const tags = ['Webhook endpoints'];
  const context = (request: FastifyRequest, db: Client): EndpointContext => ({
    db,
    livemode: authOf(request).livemode,
    now: deps.clock.now(),
    limits: deps.config.limits,
    webhooks: deps.config.webhooks,
  });

  app.post(
    '/v1/webhook_endpoints',
    {
      config: { scope: sends_events_scopes },
      schema: {
        tags,
        summary: 'Create a webhook endpoint',
        description: `Purse POSTs each matching event to the URL, signed per Standard Webhooks. The response carries the signing secret (\`whsec_...\`); it is never shown again.${needs_events_read}`,
        body: CreateEndpointBody,
        response: { 201: WebhookEndpoint, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(
        mutation,
        request,
        reply,
        201,
        (db) => createEndpoint(context(request, db), request.body),
        without_secret,
      ),
  );

  app.get(
    '/v1/webhook_endpoints',
    {
      config: { scope: 'webhook_endpoints:read' },
      schema: {
        tags,
        summary: 'List webhook endpoints',
        description: "The mode's endpoints, newest first, without their secrets.",
        querystring: PageQuerystring,
        response: { 200: ListOf(WebhookEndpoint), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await listEndpoints(deps.pool, authOf(request).livemode, pageQuery(request.query)),
      ),
  );

  app.get(
    '/v1/webhook_endpoints/:id',
    {
      config: { scope: 'webhook_endpoints:read' },
      schema: {
        tags,
        summary: 'Retrieve a webhook endpoint',
        description: 'Its URL, events, status and failure state; never its secret.',
        params: IdParams,
        response: { 200: WebhookEndpoint, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getEndpoint(deps.pool, authOf(request).livemode, request.params.id)),
  );

  app.post(
    '/v1/webhook_endpoints/:id',
    {
      config: { scope: sends_events_scopes },
      schema: {
        tags,
        summary: 'Update, disable or enable a webhook endpoint',
        description: `Sets the fields given. \`disabled: true\` stops deliveries (queued ones wait); \`disabled: false\` resumes them and clears the failure state.${needs_events_read}`,
        params: IdParams,
        body: UpdateEndpointBody,
        response: { 200: WebhookEndpoint, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        updateEndpoint(context(request, db), request.params.id, request.body),
      ),
  );

  app.delete(
    '/v1/webhook_endpoints/:id',
    {
      config: { scope: 'webhook_endpoints:write' },
      schema: {
        tags,
        summary: 'Delete a webhook endpoint',
        description: 'Deletes the endpoint, its queued deliveries and its delivery log.',
        params: IdParams,
        response: { 200: DeletedEndpoint, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        deleteEndpoint(db, authOf(request).livemode, request.params.id, deps.clock.now()),
      ),
  );

  app.post(
    '/v1/webhook_endpoints/:id/rotate_secret',
    {
      config: { scope: 'webhook_endpoints:write' },
      schema: {
        tags,
        summary: 'Rotate the signing secret',
        description:
          'Returns the new secret once. For `grace_period_s` (default 24 h) deliveries carry signatures by both the old and the new secret.',
        params: IdParams,
        body: RotateSecretBody,
        response: { 200: WebhookEndpoint, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(
        mutation,
        request,
        reply,
        200,
        (db) => rotateSecret(context(request, db), request.params.id, request.body.grace_period_s),
        without_secret,
      ),
  );

  app.post(
    '/v1/webhook_endpoints/:id/replay',
    {
      config: { scope: sends_events_scopes },
      schema: {
        tags,
        summary: 'Send events again',
        description: `One event (\`event_id\`), or every event since a time that the endpoint subscribes to (\`since\`), queued as new deliveries with the events' original ids as \`webhook-id\`.${needs_events_read}`,
        params: IdParams,
        body: ReplayBody,
        response: { 200: ReplayResult, ...errorResponses },
      },
    },
    (request, reply) =>
      runMutation(mutation, request, reply, 200, (db) =>
        replayEvents(context(request, db), request.params.id, request.body),
      ),
  );

  app.get(
    '/v1/webhook_endpoints/:id/deliveries',
    {
      config: { scope: 'webhook_endpoints:read' },
      schema: {
        tags,
        summary: "List an endpoint's deliveries",
        description:
          'The delivery log, newest first: each delivery with every attempt (HTTP status or error, latency, the start of the response).',
        params: IdParams,
        querystring: DeliveryListQuery,
        response: { 200: ListOf(Delivery), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        request,
        reply,
        await listDeliveries(deps.pool, authOf(request).livemode, request.params.id, request.query),
      ),
  );
}
