import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * The Standard Webhooks headers: `webhook-signature` holds a `v1,<base64 HMAC-SHA256>` of
 * `id.timestamp.body` per secret, space-separated, so during a rotation's grace period a receiver
 * holding either secret can verify.
 */
export function signDelivery(
  message_id: string,
  timestamp: Date,
  body: string,
  secrets: readonly string[],
): SignedHeaders {
  return {
    'webhook-id': message_id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': secrets
      .map((secret) => new Webhook(secret).sign(message_id, timestamp, body))
      .join(' '),
  };
}
