import { ConnectionError, clientError, errorFromResponse, type PurseError } from './errors.js';
import { authHeaders, type ClientConfig, requestUrl, sleep } from './request.js';
import { backoffDelay_ms, isRetryable, retryAfter_ms } from './retry.js';
import type { Event } from './webhooks.js';

export interface FollowOptions {
  /** Start right after this event id (as `Last-Event-ID`); default: events committed from now on. */
  readonly after?: string | undefined;
  /** Only events of this type or pattern (`transfer.*`). */
  readonly type?: string | undefined;
  /** Ends the iteration (the loop simply finishes). Breaking out of the loop works too. */
  readonly signal?: AbortSignal | undefined;
  /** Failed connection attempts in a row before `follow` throws (default 20). */
  readonly reconnect_attempts_max?: number | undefined;
  /** No byte (not even the server's keep-alive comment) for this long means a dead connection: reconnect (default 45 s). */
  readonly idle_timeout_ms?: number | undefined;
}

const default_reconnect_attempts_max = 20;
// The server sends a keep-alive comment every 15 s on an idle stream; three missed is a dead connection.
const default_idle_timeout_ms = 45_000;
const reconnect_policy = { base_delay_ms: 250, max_delay_ms: 30_000 };

/** One Server-Sent Events message. */
interface Message {
  readonly id: string | undefined;
  readonly data: string;
  readonly retry_ms: number | undefined;
}

/**
 * Follows `GET /v1/events/stream`: yields each event once, in commit order, for as long as the
 * caller iterates. When the connection drops (server restart, network), it reconnects with
 * backoff and `Last-Event-ID` set to the last event it yielded, so nothing is missed or repeated.
 * A refusal that retrying cannot fix (a bad key, an unknown `after` id) is thrown.
 */
export async function* followEvents(
  config: ClientConfig,
  options: FollowOptions = {},
): AsyncGenerator<Event> {
  const attempts_max = options.reconnect_attempts_max ?? default_reconnect_attempts_max;
  let last_event_id = options.after;
  let failures = 0;
  let server_retry_ms = 0;
  let asked_ms = 0;
  while (!isAborted(options.signal)) {
    const connection = new AbortController();
    const signal =
      options.signal === undefined ? connection.signal : AbortSignal.any([options.signal, connection.signal]);
    try {
      const response = await connect(config, options, last_event_id, signal);
      failures = 0;
      for await (const message of messages(
        response,
        connection,
        options.idle_timeout_ms ?? default_idle_timeout_ms,
      )) {
        if (message.retry_ms !== undefined) server_retry_ms = message.retry_ms;
        if (message.data === '') continue;
        const event = JSON.parse(message.data) as Event;
        last_event_id = message.id ?? event.id;
        yield event;
      }
    } catch (error) {
      if (isAborted(options.signal)) return;
      if (isFinal(error)) throw error;
      failures += 1;
      if (failures > attempts_max) throw error;
      asked_ms = ((error as Partial<PurseError>).retry_after_s ?? 0) * 1000;
    } finally {
      connection.abort();
    }
    // The server's `retry:` (or Retry-After) is a floor; the backoff spreads reconnecting clients out.
    const wait_ms = Math.max(server_retry_ms, asked_ms, backoffDelay_ms(failures, reconnect_policy));
    asked_ms = 0;
    try {
      await sleep(wait_ms, options.signal);
    } catch {
      return;
    }
  }
}

async function connect(
  config: ClientConfig,
  options: FollowOptions,
  last_event_id: string | undefined,
  signal: AbortSignal,
): Promise<Response> {
  const headers: Record<string, string> = {
    ...authHeaders(config.auth, 'GET'),
    accept: 'text/event-stream',
  };
  if (last_event_id !== undefined) headers['last-event-id'] = last_event_id;
  if (config.purse_version !== undefined) headers['purse-version'] = config.purse_version;
  const url = requestUrl(config.base_url, { path: '/v1/events/stream', query: { type: options.type } });
  const timeout = AbortSignal.timeout(config.timeout_ms);
  let response: Response;
  try {
    response = await config.fetch(url, {
      headers,
      credentials: config.auth.kind === 'session' ? 'same-origin' : 'omit',
      signal: AbortSignal.any([signal, timeout]),
    });
  } catch (error) {
    throw clientError(
      ConnectionError,
      'connection_failed',
      'The event stream did not connect',
      String(error),
      error,
    );
  }
  if (response.ok && response.body !== null) return response;
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not a problem document: errorFromResponse says so.
  }
  throw errorFromResponse(response.status, body, {
    request_id: response.headers.get('request-id') ?? undefined,
    retry_after_s: retryAfterSeconds(response.headers.get('retry-after')),
  });
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** A refusal that reconnecting will not change (4xx other than 429): thrown to the caller. */
function isFinal(error: unknown): boolean {
  const problem = error as Partial<PurseError>;
  if (typeof problem.status !== 'number' || problem.status === 0) return false;
  return !isRetryable({ kind: 'answer', status: problem.status, code: problem.code });
}

/**
 * Parses the stream into messages (the Server-Sent Events format: `field: value` lines, a blank
 * line ends a message, `:` starts a comment). Aborts the connection when nothing arrives for
 * `idle_timeout_ms`, which ends the iteration with an error, so the caller reconnects.
 */
async function* messages(
  response: Response,
  connection: AbortController,
  idle_timeout_ms: number,
): AsyncGenerator<Message> {
  // Typed as bytes in, text out, so Node's and the DOM's declarations of the stream both accept it.
  const decoder = new TextDecoderStream() as unknown as {
    readable: ReadableStream<string>;
    writable: WritableStream<Uint8Array>;
  };
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(decoder).getReader();
  let idle = setTimeout(() => connection.abort(new Error('idle')), idle_timeout_ms);
  let buffer = '';
  let fields: { id?: string; data: string[]; retry_ms?: number } = { data: [] };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error('idle')), idle_timeout_ms);
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          if (fields.data.length > 0 || fields.retry_ms !== undefined)
            yield { id: fields.id, data: fields.data.join('\n'), retry_ms: fields.retry_ms };
          fields = { data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon === -1 ? line : line.slice(0, colon);
        const raw = colon === -1 ? '' : line.slice(colon + 1);
        const value_text = raw.startsWith(' ') ? raw.slice(1) : raw;
        if (name === 'data') fields.data.push(value_text);
        else if (name === 'id') fields.id = value_text;
        else if (name === 'retry' && /^\d+$/.test(value_text)) fields.retry_ms = Number(value_text);
      }
    }
  } finally {
    clearTimeout(idle);
    reader.cancel().catch(() => undefined);
  }
}

function retryAfterSeconds(header: string | null): number | undefined {
  const ms = retryAfter_ms(header, Date.now());
  return ms === undefined ? undefined : ms / 1000;
}
