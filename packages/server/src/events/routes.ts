import type { OutgoingHttpHeaders } from 'node:http';
import { Type } from '@sinclair/typebox';
import { type Api, type RouteDeps, sendResult } from '../http/api.js';
import { authOf, stillAuthorized } from '../http/auth.js';
import { sendProblem } from '../http/problem.js';
import { errorResponses, IdParams, ListOf, ProblemRef } from '../http/schemas.js';
import { Event, EventListQuery, StreamQuery } from './schemas.js';
import { getEvent, listEvents } from './service.js';

export function eventRoutes(app: Api, deps: RouteDeps): void {
  const tags = ['Events'];

  app.get(
    '/v1/events',
    {
      config: { scope: 'events:read' },
      schema: {
        tags,
        summary: 'List events',
        description:
          'Newest first; filter by type (exact, or a prefix pattern such as `transfer.*`), by the object the event is about, and by creation time.',
        querystring: EventListQuery,
        response: { 200: ListOf(Event), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await listEvents(deps.pool, authOf(request).livemode, request.query)),
  );

  app.get(
    '/v1/events/stream',
    {
      config: { scope: 'events:read' },
      schema: {
        tags,
        summary: 'Stream events (Server-Sent Events)',
        description:
          "Every new event of the key's mode as it is committed, in commit order: `id` is the event id, `event` its type, `data` the event. Reconnect with `Last-Event-ID` to resume right after the last event received, with no gap. Without it, the stream starts with events committed from now on. A comment line is sent on an idle stream every 15 s.",
        querystring: StreamQuery,
        headers: Type.Object({
          'Last-Event-ID': Type.Optional(
            Type.String({
              maxLength: 64,
              description: 'Resume after this event id.',
              examples: ['evt_01jd0w3n3w8m5t5vq6fz1y2k3h'],
            }),
          ),
        }),
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      const last_event_id = request.headers['last-event-id'];
      const start = await deps.event_streams.start({
        key_id: authOf(request).key_id,
        livemode: authOf(request).livemode,
        type: request.query.type,
        last_event_id: typeof last_event_id === 'string' ? last_event_id : undefined,
        still_authorized: () =>
          stillAuthorized(request, {
            pool: deps.pool,
            clock: deps.clock,
            cache: deps.key_cache,
            sessions: deps.config.operators.sessions,
          }),
      });
      if (!start.ok) return sendProblem(request, reply, start.error);
      reply.hijack();
      // The headers hooks set so far (Request-Id, Purse-Version, security headers) still apply.
      const hooked = Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined);
      reply.raw.writeHead(200, {
        ...(Object.fromEntries(hooked) as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      await deps.event_streams.run(reply.raw, start.value);
      return reply;
    },
  );

  app.get(
    '/v1/events/:id',
    {
      config: { scope: 'events:read' },
      schema: {
        tags,
        summary: 'Retrieve an event',
        description:
          'The event with the object as it was right after the change. An event of a month that ' +
          'event retention archived and dropped answers 410 `event_archived`, naming the archive file.',
        params: IdParams,
        response: { 200: Event, ...errorResponses, 410: ProblemRef },
      },
    },
    async (request, reply) =>
      sendResult(request, reply, await getEvent(deps.pool, authOf(request).livemode, request.params.id)),
  );
}
