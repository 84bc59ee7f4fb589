import type { Queryable } from '../db/pool.js';
import { matchesAny } from '../events/catalogue.js';
import type { SequencedEvent } from '../events/sequencer.js';
import { newId } from '../shared/ids.js';

interface EnabledEndpoint {
  id: string;
  livemode: boolean;
  enabled_events: string[];
}

/**
 * Queues a delivery of each event to every enabled endpoint of its mode that subscribes to its
 * type: due at once. Endpoints are few (a limit per mode), so they are matched here rather than in
 * SQL, with the same matcher that validates `enabled_events`. An event still pending for an
 * endpoint is not queued for it again (replays back to back queued every event once per replay):
 * the pending delivery will send it. Returns how many were queued.
 */
export async function queueDeliveries(
  db: Queryable,
  events: readonly SequencedEvent[],
  now: Date,
  options: { endpoint_id?: string; replay?: boolean } = {},
): Promise<number> {
  if (events.length === 0) return 0;
  const endpoints = await db.query<EnabledEndpoint>(
    `SELECT id, livemode, enabled_events FROM webhook_endpoints
     WHERE status = 'enabled' AND ($1::text IS NULL OR id = $1)`,
    [options.endpoint_id ?? null],
  );
  const rows = events.flatMap((event) =>
    endpoints.rows
      .filter(
        (endpoint) =>
          endpoint.livemode === event.livemode &&
          (options.replay === true || matchesAny(endpoint.enabled_events, event.type)),
      )
      .map((endpoint) => ({ endpoint_id: endpoint.id, event })),
  );
  if (rows.length === 0) return 0;
  // Exact under concurrency: a replay holds its endpoint's row lock, and the fan-out queues an
  // event in the transaction that sequences it, before any replay can see it.
  const inserted = await db.query(
    `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, object_id, position, status, next_attempt_at, replay,
       created_at, updated_at)
     SELECT id, endpoint_id, event_id, object_id, position, 'pending', $6, $7, $6, $6
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS d (id, endpoint_id, event_id, object_id, position)
     WHERE NOT EXISTS (
       SELECT 1 FROM webhook_deliveries pending
       WHERE pending.event_id = d.event_id AND pending.endpoint_id = d.endpoint_id AND pending.status = 'pending')`,
    [
      rows.map(() => newId('webhook_delivery', now.getTime())),
      rows.map((row) => row.endpoint_id),
      rows.map((row) => row.event.id),
      rows.map((row) => row.event.object_id),
      rows.map((row) => row.event.position),
      now,
      options.replay === true,
    ],
  );
  return inserted.rowCount ?? 0;
}
