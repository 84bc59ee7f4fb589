import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
} from '@opentelemetry/semantic-conventions';
import type { WebhookConfig } from '../config.js';
import { type Client, inTransaction, type Pool } from '../db/pool.js';
import { type EventRow, eventView, withData } from '../events/view.js';
import { webhook_attempt_seconds, webhook_attempts } from '../metrics/process-metrics.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { attr, inSpan } from '../tracing/spans.js';
import { addressPolicy, withEvents } from './endpoints.js';
import { retryDelayMs } from './retry.js';
import { type SendResult, sendWebhook } from './send.js';
import { signDelivery } from './signing.js';
import { type EndpointRow, signingSecrets } from './view.js';

/** A delivery a worker has claimed: the attempt it is about to make, with what it needs to send. */
export interface ClaimedDelivery {
  readonly delivery_id: string;
  readonly attempt: number;
  readonly endpoint: Pick<
    EndpointRow,
    'id' | 'livemode' | 'url' | 'secret' | 'previous_secret' | 'previous_secret_expires_at'
  >;
  /** Whether the endpoint was failing when claimed: failing endpoints share a part of the slots. */
  readonly failing: boolean;
  readonly event: EventRow;
}

/** What a worker has in flight, so a claim leaves room for every endpoint (see DeliveryRunner). */
export interface InFlight {
  /** Attempts in flight per endpoint id. */
  readonly per_endpoint: ReadonlyMap<string, number>;
  /** Attempts in flight to endpoints that were failing. */
  readonly failing: number;
}

/** Extra lease beyond the send timeout, for recording the outcome; a worker that dies is retried after it. */
const lease_margin_ms = 5_000;

/**
 * Claims up to `limit` due deliveries. FOR UPDATE SKIP LOCKED lets several workers claim at once
 * without ever taking the same one; the claim moves `next_attempt_at` past the send's deadline (a
 * lease) and counts the attempt, and commits at once, so no transaction stays open while sending.
 * A delivery waits while an earlier event of the same object is still pending for that endpoint:
 * each endpoint receives an object's events in order. So that slow endpoints cannot take every
 * slot, one endpoint gets at most `deliveries_per_endpoint_in_flight_max` attempts in flight, and
 * endpoints that are failing (timeouts included) at most `failing_deliveries_in_flight_max`
 * together, counting what this worker already has in flight; healthy endpoints are served first,
 * and endpoints take turns (each one's oldest due delivery before anyone's second). Endpoints are
 * few (a limit per mode), so the due deliveries are looked up per endpoint.
 */
export async function claimDeliveries(
  pool: Pool,
  now: Date,
  limit: number,
  config: WebhookConfig,
  in_flight: InFlight = { per_endpoint: new Map(), failing: 0 },
): Promise<ClaimedDelivery[]> {
  const lease_ends = new Date(now.getTime() + config.timeout_ms + lease_margin_ms);
  const result = await pool.query<{
    delivery_id: string;
    attempt: number;
    endpoint: ClaimedDelivery['endpoint'];
    failing: boolean;
    event: EventRow;
  }>(
    `WITH busy AS (
       SELECT * FROM unnest($4::text[], $5::int[]) AS b (endpoint_id, in_flight)
     ), candidates AS (
       SELECT picked.id, w.id AS endpoint_id, picked.next_attempt_at, picked.position,
         w.failing_since IS NOT NULL AS failing
       FROM webhook_endpoints w
       CROSS JOIN LATERAL (
         SELECT d.id, d.next_attempt_at, d.position FROM webhook_deliveries d
         WHERE d.endpoint_id = w.id AND d.status = 'pending' AND d.next_attempt_at <= $1
           AND NOT EXISTS (
             SELECT 1 FROM webhook_deliveries earlier
             WHERE earlier.endpoint_id = d.endpoint_id AND earlier.object_id = d.object_id
               AND earlier.status = 'pending' AND earlier.position < d.position)
         ORDER BY d.next_attempt_at, d.position
         LIMIT greatest(0, $6 - coalesce((SELECT in_flight FROM busy WHERE busy.endpoint_id = w.id), 0))
         FOR UPDATE OF d SKIP LOCKED
       ) picked
       WHERE w.status = 'enabled'
     ), ranked AS (
       -- An endpoint's turn counts what it already has in flight.
       SELECT c.*,
         row_number() OVER (PARTITION BY c.endpoint_id ORDER BY c.next_attempt_at, c.position)
           + coalesce((SELECT in_flight FROM busy WHERE busy.endpoint_id = c.endpoint_id), 0) AS turn
       FROM candidates c
     ), due AS (
       SELECT id FROM (
         SELECT r.*, row_number() OVER (PARTITION BY r.failing ORDER BY r.turn, r.next_attempt_at, r.position) AS rank
         FROM ranked r
       ) shares
       WHERE NOT failing OR rank <= $7
       ORDER BY failing, turn, next_attempt_at, position
       LIMIT $2
     ), claimed AS (
       UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $3, updated_at = $1
       FROM due WHERE d.id = due.id
       RETURNING d.id, d.attempts, d.endpoint_id, d.event_id
     )
     SELECT c.id AS delivery_id, c.attempts AS attempt,
       json_build_object('id', w.id, 'livemode', w.livemode, 'url', w.url, 'secret', w.secret,
         'previous_secret', w.previous_secret, 'previous_secret_expires_at', w.previous_secret_expires_at) AS endpoint,
       w.failing_since IS NOT NULL AS failing,
       row_to_json(e) AS event
     FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id JOIN events e ON e.livemode = w.livemode AND e.id = c.event_id`,
    [
      now,
      limit,
      lease_ends,
      [...in_flight.per_endpoint.keys()],
      [...in_flight.per_endpoint.values()],
      config.deliveries_per_endpoint_in_flight_max,
      Math.max(0, config.failing_deliveries_in_flight_max - in_flight.failing),
    ],
  );
  const events = await withData(
    pool,
    result.rows.map((row) => ({ ...row.event, created_at: new Date(row.event.created_at) })),
  );
  return result.rows.map((row, index) => ({
    ...row,
    endpoint: {
      ...row.endpoint,
      previous_secret_expires_at:
        row.endpoint.previous_secret_expires_at === null
          ? null
          : new Date(row.endpoint.previous_secret_expires_at),
    },
    event: events[index] ?? row.event,
  }));
}

/**
 * Sends one claimed attempt and records what happened, under a CLIENT span `webhook.deliver`: a
 * root, as the request that caused the event is long answered (its trace id is not stored). The
 * request to the endpoint carries no `traceparent`: the receiver is a third party that cannot read
 * our traces, and it quotes the event id (`webhook-id`), which the span carries.
 */
export async function attemptDelivery(
  deps: { pool: Pool; clock: Clock; config: WebhookConfig },
  claimed: ClaimedDelivery,
): Promise<SendResult> {
  const attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: 'POST',
    // The host only: a receiver's URL may carry a token in its path or query.
    [ATTR_SERVER_ADDRESS]: new URL(claimed.endpoint.url).hostname,
    [attr.endpoint_id]: claimed.endpoint.id,
    [attr.delivery_id]: claimed.delivery_id,
    [attr.attempt]: claimed.attempt,
    [attr.event_id]: claimed.event.id,
    [attr.event_type]: claimed.event.type,
    [attr.livemode]: claimed.endpoint.livemode,
  };
  return inSpan('webhook.deliver', { kind: SpanKind.CLIENT, root: true, attributes }, async (span) => {
    const result = await sendAttempt(deps, claimed);
    if (result.status_code !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.status_code);
    if (outcomeOf(result) !== 'succeeded') {
      span.setAttribute(
        ATTR_ERROR_TYPE,
        result.status_code === null ? 'no_response' : String(result.status_code),
      );
      span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? `HTTP ${result.status_code}` });
    }
    return result;
  });
}

async function sendAttempt(
  deps: { pool: Pool; clock: Clock; config: WebhookConfig },
  claimed: ClaimedDelivery,
): Promise<SendResult> {
  const started_at = deps.clock.now();
  const body = JSON.stringify(eventView(claimed.event));
  const result = await sendWebhook({
    url: claimed.endpoint.url,
    body,
    headers: {
      ...signDelivery(claimed.event.id, started_at, body, signingSecrets(claimed.endpoint, started_at)),
    },
    timeout_ms: deps.config.timeout_ms,
    response_bytes_max: deps.config.response_bytes_max,
    policy: addressPolicy(claimed.endpoint.livemode, deps.config),
  });
  await inTransaction(deps.pool, (db) => recordAttempt(db, claimed, result, started_at, deps.config));
  webhook_attempts.inc({ outcome: outcomeOf(result) });
  webhook_attempt_seconds.observe(result.latency_ms / 1000);
  return result;
}

type Outcome = 'succeeded' | 'gone' | 'failed';

function outcomeOf(result: SendResult): Outcome {
  if (result.status_code === 410) return 'gone';
  return result.status_code !== null && result.status_code >= 200 && result.status_code < 300
    ? 'succeeded'
    : 'failed';
}

/**
 * Logs the attempt and moves the delivery on: done, retried after the schedule's next (jittered)
 * delay, or given up when the schedule is exhausted. HTTP 410 gives up and disables the endpoint
 * at once; a delivery given up while no attempt to the endpoint has succeeded since its first one
 * disables the endpoint as failing. Each disabling records `webhook_endpoint.disabled`.
 */
async function recordAttempt(
  db: Client,
  claimed: ClaimedDelivery,
  result: SendResult,
  started_at: Date,
  config: WebhookConfig,
): Promise<void> {
  // The endpoint first, as deleting it locks it first and then its deliveries and attempts (by
  // cascade): taken in the same order, the two wait for each other instead of deadlocking. An
  // endpoint deleted meanwhile took its deliveries with it: nothing is left to record.
  const endpoint = await db.query('SELECT 1 FROM webhook_endpoints WHERE id = $1 FOR NO KEY UPDATE', [
    claimed.endpoint.id,
  ]);
  if (endpoint.rowCount === 0) return;
  await db.query(
    `INSERT INTO webhook_attempts (id, delivery_id, attempt, status_code, error, latency_ms, response_excerpt, created_at)
     SELECT $1, id, $3, $4, $5, $6, $7, $8 FROM webhook_deliveries WHERE id = $2
     ON CONFLICT (delivery_id, attempt) DO NOTHING`,
    [
      newId('webhook_attempt', started_at.getTime()),
      claimed.delivery_id,
      claimed.attempt,
      result.status_code,
      result.status_code === null ? result.error : null,
      result.latency_ms,
      result.response_excerpt,
      started_at,
    ],
  );
  const outcome = outcomeOf(result);
  const delay_ms = retryDelayMs(config.retry_schedule_s, claimed.attempt);
  const retry = outcome === 'failed' && delay_ms !== undefined;
  // Guarded by the attempt number: a worker whose lease ran out and was re-claimed by another does
  // not overwrite that newer attempt's state.
  const updated = await db.query<{ first_attempt_at: Date }>(
    `UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, updated_at = $5
     WHERE id = $1 AND attempts = $2 AND status = 'pending'
     RETURNING (SELECT min(created_at) FROM webhook_attempts WHERE delivery_id = $1) AS first_attempt_at`,
    [
      claimed.delivery_id,
      claimed.attempt,
      retry ? 'pending' : outcome === 'succeeded' ? 'succeeded' : 'failed',
      retry ? new Date(started_at.getTime() + (delay_ms ?? 0)) : null,
      started_at,
    ],
  );
  const first_attempt_at = updated.rows[0]?.first_attempt_at;
  if (first_attempt_at === undefined) return;
  await updateEndpointHealth(db, claimed.endpoint.id, outcome, retry, first_attempt_at, started_at);
}

/**
 * Attempts run concurrently and are recorded in any order, so health is kept by when each attempt
 * started: a success counts from its start even if a failure that started earlier is recorded later.
 */
async function updateEndpointHealth(
  db: Client,
  endpoint_id: string,
  outcome: Outcome,
  retry: boolean,
  first_attempt_at: Date,
  started_at: Date,
): Promise<void> {
  if (outcome === 'succeeded') {
    await db.query(
      `UPDATE webhook_endpoints SET last_success_at = greatest(last_success_at, $2),
         failing_since = CASE WHEN failing_since <= $2 THEN NULL ELSE failing_since END
       WHERE id = $1`,
      [endpoint_id, started_at],
    );
    return;
  }
  const endpoint = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET failing_since = CASE
         WHEN last_success_at IS NULL OR last_success_at < $2 THEN coalesce(failing_since, $2) ELSE failing_since END
     WHERE id = $1 RETURNING *`,
    [endpoint_id, started_at],
  );
  const row = endpoint.rows[0];
  if (row === undefined || row.status !== 'enabled') return;
  const failing = !retry && (row.last_success_at === null || row.last_success_at < first_attempt_at);
  if (outcome !== 'gone' && !failing) return;
  const disabled = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, updated_at = $3 WHERE id = $1 RETURNING *`,
    [endpoint_id, outcome === 'gone' ? 'gone' : 'failing', started_at],
  );
  const disabled_row = disabled.rows[0];
  if (disabled_row !== undefined)
    await withEvents(db, disabled_row, ['webhook_endpoint.disabled'], started_at);
}
