import type { Static } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import { notFound } from '../shared/errors.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { findEndpoint } from './endpoints.js';
import type { Delivery, DeliveryListQuery } from './schemas.js';

type DeliveryView = Static<typeof Delivery>;

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  status: DeliveryView['status'];
  attempts: number;
  next_attempt_at: Date | null;
  replay: boolean;
  created_at: Date;
  updated_at: Date;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response_excerpt: string | null;
  created_at: Date;
}

/** An endpoint's deliveries, newest first, each with every attempt: status, latency, response excerpt. */
export async function listDeliveries(
  db: Queryable,
  livemode: boolean,
  endpoint_id: string,
  filter: Static<typeof DeliveryListQuery>,
): Promise<Result<Page<DeliveryView>>> {
  if ((await findEndpoint(db, livemode, endpoint_id, false)) === undefined) {
    return fail(notFound('webhook endpoint', endpoint_id));
  }
  const where = ['endpoint_id = $1'];
  const params: unknown[] = [endpoint_id];
  for (const field of ['status', 'event_id'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    params.push(value);
    where.push(`${field} = $${params.length}`);
  }
  const page = await fetchPage(
    db,
    { table: 'webhook_deliveries', where, params, id_prefix: 'whd', map: (row: DeliveryRow) => row },
    pageQuery(filter),
  );
  if (!page.ok) return page;
  const ids = page.value.data.map((row) => row.id);
  const attempts = await db.query<AttemptRow>(
    'SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt',
    [ids],
  );
  const types = await db.query<{ id: string; type: string }>(
    'SELECT id, type FROM events WHERE livemode = $1 AND id = ANY($2::text[])',
    [livemode, page.value.data.map((row) => row.event_id)],
  );
  const type_of = new Map(types.rows.map((row) => [row.id, row.type]));
  const data = page.value.data.map((row) => ({
    id: row.id,
    object: 'webhook_delivery' as const,
    endpoint_id: row.endpoint_id,
    event_id: row.event_id,
    event_type: type_of.get(row.event_id) ?? '',
    status: row.status,
    replay: row.replay,
    attempt_count: row.attempts,
    next_attempt_at: row.next_attempt_at?.toISOString() ?? null,
    attempts: attempts.rows
      .filter((attempt) => attempt.delivery_id === row.id)
      .map(({ delivery_id: _delivery_id, created_at, ...attempt }) => ({
        ...attempt,
        created_at: created_at.toISOString(),
      })),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  }));
  return ok({ ...page.value, data });
}
