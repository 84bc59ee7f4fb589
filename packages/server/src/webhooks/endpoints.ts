import type { Static } from '@sinclair/typebox';
import type { Limits, WebhookConfig } from '../config.js';
import type { Client, Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { type EventType, isValidPattern } from '../events/catalogue.js';
import { eventOf, recordEvents } from '../events/outbox.js';
import { unknownEventType } from '../events/service.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata, mergeMetadata } from '../shared/metadata.js';
import { fetchPage, type Page, type PageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { CreateEndpointBody, UpdateEndpointBody } from './schemas.js';
import { generateWebhookSecret } from './signing.js';
import { AddressPolicy, checkUrlAddresses, checkUrlShape } from './url-guard.js';
import { type EndpointRow, type EndpointView, endpointView } from './view.js';

/** What endpoint changes need: the caller's transaction and mode, the time and the configuration. */
export interface EndpointContext {
  readonly db: Client;
  readonly livemode: boolean;
  readonly now: Date;
  readonly limits: Limits;
  readonly webhooks: WebhookConfig;
}

/** Live mode refuses private addresses (SSRF) unless allowed; test mode may use localhost. */
export function addressPolicy(livemode: boolean, webhooks: WebhookConfig): AddressPolicy {
  return new AddressPolicy(livemode, webhooks.allowed_networks);
}

/** Any constants; they serialise endpoint creation per mode so the per-mode limit holds under races. */
const create_lock_ids = { test: 7_270_185_004, live: 7_270_185_005 };

export async function createEndpoint(
  ctx: EndpointContext,
  input: Static<typeof CreateEndpointBody>,
): Promise<Result<EndpointView & { secret: string }>> {
  const { db, livemode, now } = ctx;
  const checked = await checkEndpointFields(ctx, input);
  if (checked !== undefined) return fail(checked);
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  await db.query('SELECT pg_advisory_xact_lock($1)', [
    livemode ? create_lock_ids.live : create_lock_ids.test,
  ]);
  const count = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM webhook_endpoints WHERE livemode = $1',
    [livemode],
  );
  if ((count.rows[0]?.n ?? 0) >= ctx.webhooks.endpoints_per_mode_max) {
    return fail(
      domainError(
        'webhook_endpoint_limit_reached',
        `A mode may have at most ${ctx.webhooks.endpoints_per_mode_max} webhook endpoints; delete one first.`,
      ),
    );
  }
  const secret = generateWebhookSecret();
  const inserted = await db.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (id, livemode, url, description, enabled_events, secret, metadata, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
    [
      newId('webhook_endpoint', now.getTime()),
      livemode,
      input.url,
      input.description ?? null,
      [...new Set(input.enabled_events)],
      secret,
      metadata.value,
      now,
    ],
  );
  const view = await withEvents(db, mustRow(inserted.rows[0]), ['webhook_endpoint.created'], now);
  return ok({ ...view, secret });
}

async function checkEndpointFields(
  ctx: EndpointContext,
  input: { url?: string | undefined; enabled_events?: readonly string[] | undefined },
): Promise<DomainError | undefined> {
  if (input.url !== undefined) {
    const url = checkUrlShape(input.url);
    if (!(url instanceof URL)) return url;
    const refused = await checkUrlAddresses(url, addressPolicy(ctx.livemode, ctx.webhooks));
    if (refused !== undefined) return refused;
  }
  const index = input.enabled_events?.findIndex((pattern) => !isValidPattern(pattern)) ?? -1;
  const pattern = input.enabled_events?.[index];
  return pattern === undefined ? undefined : unknownEventType(pattern, `enabled_events.${index}`);
}

export async function getEndpoint(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<EndpointView>> {
  const row = await findEndpoint(db, livemode, id, false);
  return row === undefined ? fail(notFound('webhook endpoint', id)) : ok(endpointView(row));
}

export function listEndpoints(
  db: Queryable,
  livemode: boolean,
  page: PageQuery,
): Promise<Result<Page<EndpointView>>> {
  return fetchPage(
    db,
    {
      table: 'webhook_endpoints',
      where: ['livemode = $1'],
      params: [livemode],
      id_prefix: 'we',
      map: endpointView,
    },
    page,
  );
}

/**
 * Sets the fields given (null clears the description; metadata merges). `disabled: true` disables
 * the endpoint; `disabled: false` enables it again and forgets its failures. Records
 * `webhook_endpoint.updated` when a field changed and `.enabled`/`.disabled` when the status did.
 */
export async function updateEndpoint(
  ctx: EndpointContext,
  id: string,
  input: Static<typeof UpdateEndpointBody>,
): Promise<Result<EndpointView>> {
  const { db, livemode, now } = ctx;
  const current = await findEndpoint(db, livemode, id, true);
  if (current === undefined) return fail(notFound('webhook endpoint', id));
  const checked = await checkEndpointFields(ctx, input);
  if (checked !== undefined) return fail(checked);
  const metadata = mergeMetadata(current.metadata, input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const enable = input.disabled === false && current.status === 'disabled';
  const disable = input.disabled === true && current.status === 'enabled';
  const updated = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET url = $2, enabled_events = $3, description = $4, metadata = $5, updated_at = $6,
       status = $7, disabled_reason = $8, failing_since = CASE WHEN $9 THEN NULL ELSE failing_since END
     WHERE id = $1 RETURNING *`,
    [
      id,
      input.url ?? current.url,
      input.enabled_events === undefined ? current.enabled_events : [...new Set(input.enabled_events)],
      input.description === undefined ? current.description : input.description,
      metadata.value,
      now,
      enable ? 'enabled' : disable ? 'disabled' : current.status,
      enable ? null : disable ? 'requested' : current.disabled_reason,
      enable,
    ],
  );
  const row = mustRow(updated.rows[0]);
  const fields_changed =
    row.url !== current.url ||
    row.description !== current.description ||
    JSON.stringify(row.enabled_events) !== JSON.stringify(current.enabled_events) ||
    JSON.stringify(row.metadata) !== JSON.stringify(current.metadata);
  const types: EventType[] = [
    ...(fields_changed ? ['webhook_endpoint.updated' as const] : []),
    ...(enable ? ['webhook_endpoint.enabled' as const] : []),
    ...(disable ? ['webhook_endpoint.disabled' as const] : []),
  ];
  return ok(await withEvents(db, row, types, now));
}

/** Deletes the endpoint with its queued deliveries and its delivery log. */
export async function deleteEndpoint(
  db: Client,
  livemode: boolean,
  id: string,
  now: Date,
): Promise<Result<{ id: string; object: 'webhook_endpoint'; deleted: true }>> {
  const deleted = await db.query<EndpointRow>(
    'DELETE FROM webhook_endpoints WHERE id = $1 AND livemode = $2 RETURNING *',
    [id, livemode],
  );
  const row = deleted.rows[0];
  if (row === undefined) return fail(notFound('webhook endpoint', id));
  await withEvents(db, row, ['webhook_endpoint.deleted'], now);
  return ok({ id, object: 'webhook_endpoint', deleted: true });
}

/**
 * A new secret; the old one keeps signing (both signatures are sent) for `grace_period_s`, so
 * receivers can switch without dropping a delivery.
 */
export async function rotateSecret(
  ctx: EndpointContext,
  id: string,
  grace_period_s: number | undefined,
): Promise<Result<EndpointView & { secret: string }>> {
  const { db, livemode, now } = ctx;
  const grace_s = grace_period_s ?? ctx.webhooks.secret_grace_s_default;
  if (grace_s > ctx.webhooks.secret_grace_s_max) {
    return fail(
      domainError(
        'invalid_request',
        `grace_period_s must be at most ${ctx.webhooks.secret_grace_s_max}.`,
        'grace_period_s',
      ),
    );
  }
  const secret = generateWebhookSecret();
  const grace_ends = grace_s === 0 ? null : new Date(now.getTime() + grace_s * 1000);
  const updated = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET previous_secret = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE secret END,
       previous_secret_expires_at = $4, secret = $3, updated_at = $5
     WHERE id = $1 AND livemode = $2 RETURNING *`,
    [id, livemode, secret, grace_ends, now],
  );
  const row = updated.rows[0];
  if (row === undefined) return fail(notFound('webhook endpoint', id));
  const view = await withEvents(db, row, ['webhook_endpoint.updated'], now);
  return ok({ ...view, secret });
}

export function findEndpoint(
  db: Queryable,
  livemode: boolean,
  id: string,
  for_update: boolean,
): Promise<EndpointRow | undefined> {
  return rowById<EndpointRow>(db, 'webhook_endpoints', livemode, id, { for_update });
}

/** The endpoint as the API returns it, with its events recorded in the same transaction. */
export async function withEvents(
  db: Queryable,
  row: EndpointRow,
  types: readonly EventType[],
  now: Date,
): Promise<EndpointView> {
  const view = endpointView(row);
  await recordEvents(
    db,
    types.map((type) => eventOf(type, view)),
    now,
  );
  return view;
}

function mustRow(row: EndpointRow | undefined): EndpointRow {
  assert(row !== undefined, 'INSERT or UPDATE ... RETURNING gives a row');
  return row;
}
