import type { Static } from '@sinclair/typebox';
import { patternCondition } from '../events/catalogue.js';
import type { SequencedEvent } from '../events/sequencer.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { queueDeliveries } from './delivery-queue.js';
import { type EndpointContext, findEndpoint } from './endpoints.js';
import type { ReplayBody, ReplayResult } from './schemas.js';

/**
 * Queues events for an endpoint again, as new deliveries (each with its own attempts) carrying the
 * event's id as `webhook-id`, so a receiver that already has one can tell. One event (sent even if
 * the endpoint no longer subscribes to its type), or every event since a time that the endpoint
 * subscribes to, in order. Only sequenced events: any newer one is about to be queued anyway.
 */
export async function replayEvents(
  ctx: EndpointContext,
  endpoint_id: string,
  body: Static<typeof ReplayBody>,
): Promise<Result<Static<typeof ReplayResult>>> {
  const { db, livemode, now } = ctx;
  if ((body.event_id === undefined) === (body.since === undefined)) {
    return fail(domainError('invalid_request', 'Give event_id or since, exactly one.', 'event_id'));
  }
  const endpoint = await findEndpoint(db, livemode, endpoint_id, true);
  if (endpoint === undefined) return fail(notFound('webhook endpoint', endpoint_id));
  if (endpoint.status !== 'enabled') {
    return fail(
      domainError(
        'webhook_endpoint_disabled',
        `Webhook endpoint ${endpoint_id} is disabled; enable it first.`,
      ),
    );
  }
  const events =
    body.event_id === undefined
      ? await eventsSince(ctx, endpoint.enabled_events, body.since ?? '')
      : await oneEvent(ctx, body.event_id);
  if (!events.ok) return events;
  const queued = await queueDeliveries(db, events.value, now, { endpoint_id, replay: true });
  return ok({ object: 'webhook_replay', endpoint_id, queued });
}

async function oneEvent(ctx: EndpointContext, event_id: string): Promise<Result<SequencedEvent[]>> {
  const result = await ctx.db.query<Omit<SequencedEvent, 'position'> & { position: string | null }>(
    'SELECT id, livemode, type, object_id, position FROM events WHERE id = $1 AND livemode = $2',
    [event_id, ctx.livemode],
  );
  const event = result.rows[0];
  if (event === undefined) return fail(notFound('event', event_id, 'event_id'));
  if (event.position === null) {
    return fail(
      domainError(
        'invalid_request',
        `Event ${event_id} is being queued for delivery right now; retry in a moment.`,
        'event_id',
      ),
    );
  }
  return ok([{ ...event, position: event.position }]);
}

async function eventsSince(
  ctx: EndpointContext,
  patterns: readonly string[],
  since: string,
): Promise<Result<SequencedEvent[]>> {
  const params: unknown[] = [ctx.livemode, since, ctx.webhooks.replay_events_max + 1];
  const conditions = patterns.map((pattern) => {
    const condition = patternCondition(pattern, params.length + 1);
    params.push(condition.value);
    return condition.sql;
  });
  const result = await ctx.db.query<SequencedEvent>(
    `SELECT id, livemode, type, object_id, position FROM events
     WHERE livemode = $1 AND created_at >= $2 AND position IS NOT NULL AND (${conditions.join(' OR ')})
     ORDER BY position LIMIT $3`,
    params,
  );
  if (result.rows.length > ctx.webhooks.replay_events_max) {
    return fail(
      domainError(
        'invalid_request',
        `More than ${ctx.webhooks.replay_events_max} events match; replay a shorter period.`,
        'since',
      ),
    );
  }
  return ok(result.rows);
}
