import { createHmac, timingSafeEqual } from 'node:crypto';
import { clientError, type PurseError, WebhookVerificationError } from './errors.js';
import type { components } from './generated/openapi.js';

export type Event = components['schemas']['Event'];

/** Node's `IncomingHttpHeaders`, a plain record, or a fetch `Headers`. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyOptions {
  /** How far the signature's timestamp may be from now, either way (default 300 s, as the specification says). */
  readonly tolerance_s?: number;
  /** The time to check the timestamp against (default: now). */
  readonly now?: Date;
}

const default_tolerance_s = 300;
const secret_prefix = 'whsec_';

/**
 * Verifies a webhook delivery per Standard Webhooks and returns its event: an HMAC-SHA256 keyed
 * with the secret (base64 after `whsec_`) over `webhook-id.webhook-timestamp.body`, in base64,
 * must equal one of the space-separated `v1,<signature>` entries of `webhook-signature` (two during
 * a secret rotation), and the timestamp must be within the tolerance (so an old delivery cannot be
 * replayed). Pass the raw body exactly as received, before any JSON parsing. Several secrets may be
 * given (yours, during your own rotation): any one that verifies is enough. Throws a
 * `WebhookVerificationError` (code `webhook_invalid`) saying what failed.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyOptions = {},
): Event {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signatures === undefined)
    throw invalid('The webhook-id, webhook-timestamp and webhook-signature headers are required');
  checkTimestamp(timestamp, options);
  const body = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  const signed = `${id}.${timestamp}.${body}`;
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw invalid('No secret to verify with');
  const given = signatures.split(' ').flatMap((entry) => (entry.startsWith('v1,') ? [entry.slice(3)] : []));
  const verified = secrets.some((candidate) => {
    const expected = createHmac('sha256', secretKey(candidate)).update(signed).digest();
    return given.some((signature) => sameBytes(Buffer.from(signature, 'base64'), expected));
  });
  if (!verified) throw invalid('No signature matches: wrong secret, or the body was changed');
  return parseEvent(body);
}

function checkTimestamp(timestamp: string, options: VerifyOptions): void {
  if (!/^\d{1,12}$/.test(timestamp)) throw invalid(`webhook-timestamp "${timestamp}" is not Unix seconds`);
  const now_s = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance_s = options.tolerance_s ?? default_tolerance_s;
  const skew_s = now_s - Number(timestamp);
  if (skew_s > tolerance_s)
    throw invalid(`The delivery was signed ${skew_s} s ago, more than ${tolerance_s} s`);
  if (-skew_s > tolerance_s) throw invalid(`The delivery is signed ${-skew_s} s in the future`);
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(secret_prefix) ? secret.slice(secret_prefix.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw invalid('The secret is empty or not base64');
  return key;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  const value =
    headers instanceof Headers
      ? headers.get(name)
      : Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(' ');
}

function parseEvent(body: string): Event {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (error) {
    throw invalid('The body is signed but is not JSON', error);
  }
  if (typeof event !== 'object' || event === null || (event as { object?: unknown }).object !== 'event')
    throw invalid('The body is signed but is not an event');
  return event as Event;
}

function invalid(detail: string, cause?: unknown): PurseError {
  return clientError(
    WebhookVerificationError,
    'webhook_invalid',
    'The webhook does not verify',
    detail,
    cause,
  );
}
