import type { Static } from '@sinclair/typebox';
import type { Metadata } from '../shared/metadata.js';
import type { WebhookEndpoint } from './schemas.js';

export type EndpointView = Static<typeof WebhookEndpoint>;

export interface EndpointRow {
  id: string;
  livemode: boolean;
  url: string;
  description: string | null;
  enabled_events: string[];
  status: 'enabled' | 'disabled';
  disabled_reason: 'requested' | 'failing' | 'gone' | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  last_success_at: Date | null;
  failing_since: Date | null;
  metadata: Metadata;
  created_at: Date;
  updated_at: Date;
}

/** The endpoint as the API returns it: never a secret, except `secret` where the caller adds it. */
export function endpointView(row: EndpointRow): EndpointView {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    livemode: row.livemode,
    url: row.url,
    description: row.description,
    enabled_events: row.enabled_events,
    status: row.status,
    disabled_reason: row.disabled_reason,
    previous_secret_expires_at: row.previous_secret_expires_at?.toISOString() ?? null,
    failing_since: row.failing_since?.toISOString() ?? null,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The secrets that sign a delivery sent at `now`: the current one, and the previous during its grace. */
export function signingSecrets(
  row: Pick<EndpointRow, 'secret' | 'previous_secret' | 'previous_secret_expires_at'>,
  now: Date,
): string[] {
  const previous =
    row.previous_secret !== null &&
    row.previous_secret_expires_at !== null &&
    row.previous_secret_expires_at > now
      ? [row.previous_secret]
      : [];
  return [row.secret, ...previous];
}
