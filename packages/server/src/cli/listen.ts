import { isValidPattern, matchesAny } from '../events/catalogue.js';
import { generateWebhookSecret, signDelivery } from '../webhooks/signing.js';
import { type ApiClient, clientFromFlags } from './api-client.js';
import { type Flags, flag } from './args.js';
import { type Outcome, ProblemError, UsageError } from './output.js';

const forward_timeout_ms = 10_000;
const reconnect_delay_ms_min = 250;
const reconnect_delay_ms_max = 10_000;

/** One Server-Sent Events message of /v1/events/stream. */
interface StreamEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
}

/**
 * `purse listen --forward-to URL [--events a,b.*]`: follows the key's event stream and posts each
 * event to a local URL exactly as a webhook endpoint would receive it (the same body and Standard
 * Webhooks headers, signed by webhooks/signing.ts with a secret printed at start), one line per
 * event with the receiver's status. A dropped stream is resumed from the last event with
 * Last-Event-ID, so no event is lost or repeated. Runs until interrupted.
 */
export async function listenCommand(flags: Flags): Promise<Outcome | undefined> {
  const forward_to = flag(flags, 'forward-to');
  if (forward_to === undefined || !/^https?:\/\//.test(forward_to))
    throw new UsageError('listen needs --forward-to http://localhost:PORT/PATH');
  const patterns = (flag(flags, 'events') ?? '*').split(',').map((pattern) => pattern.trim());
  // Checked here too: the server checks one pattern, and several are filtered on this side.
  const unknown = patterns.find((pattern) => !isValidPattern(pattern));
  if (unknown !== undefined) throw new UsageError(`--events: "${unknown}" selects no event type`);
  const api = clientFromFlags(flags);
  const json = flags.json === true;
  const secret = process.env.PURSE_LISTEN_SECRET ?? generateWebhookSecret();
  say(
    json,
    { secret, forward_to, events: patterns },
    `Forwarding events to ${forward_to}\nWebhook signing secret: ${secret}`,
  );
  process.once('SIGINT', () => process.exit(0));
  process.once('SIGTERM', () => process.exit(0));
  let last_event_id: string | undefined;
  let delay_ms = reconnect_delay_ms_min;
  for (;;) {
    try {
      for await (const event of follow(api, patterns, last_event_id)) {
        delay_ms = reconnect_delay_ms_min;
        last_event_id = event.id;
        if (!matchesAny(patterns, event.type)) continue;
        const status = await forward(forward_to, event, secret);
        say(
          json,
          { event_id: event.id, type: event.type, status },
          `${new Date().toISOString()}  ${event.type}  ${event.id}  -> ${status}`,
        );
      }
    } catch (error) {
      // A refusal (bad key, unknown type) will not heal by retrying; a dropped connection will.
      if (error instanceof ProblemError && error.problem.code !== 'api_unreachable') throw error;
      process.stderr.write(`purse listen: stream dropped (${(error as Error).message}); resuming\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay_ms));
    delay_ms = Math.min(delay_ms * 2, reconnect_delay_ms_max);
  }
}

function say(json: boolean, value: object, text: string): void {
  process.stdout.write(`${json ? JSON.stringify(value) : text}\n`);
}

/** The stream's events from after `last_event_id` (or from now), until the connection ends. */
async function* follow(
  api: ApiClient,
  patterns: readonly string[],
  last_event_id: string | undefined,
): AsyncGenerator<StreamEvent> {
  // The server filters by one pattern; several are filtered here.
  const query = patterns.length === 1 ? `?type=${encodeURIComponent(patterns[0] as string)}` : '';
  const response = await fetch(`${api.base_url}/v1/events/stream${query}`, {
    headers: {
      authorization: `Bearer ${api.api_key}`,
      accept: 'text/event-stream',
      ...(last_event_id === undefined ? {} : { 'last-event-id': last_event_id }),
    },
  }).catch((error: Error) => {
    throw new ProblemError({ code: 'api_unreachable', detail: String(error.cause ?? error.message) });
  });
  if (!response.ok || response.body === null) {
    const problem = (await response.json().catch(() => undefined)) as { code?: string } | undefined;
    throw new ProblemError({ code: 'http_error', status: response.status, ...problem });
  }
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const event = parseFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event !== undefined) yield event;
        end = buffer.indexOf('\n\n');
      }
    }
  } catch (error) {
    throw new ProblemError({ code: 'api_unreachable', detail: `stream: ${(error as Error).message}` });
  }
  throw new ProblemError({ code: 'api_unreachable', detail: 'the server closed the stream' });
}

/** An SSE frame's fields; comments (keep-alives) and `retry:` frames are not events. */
function parseFrame(frame: string): StreamEvent | undefined {
  const fields = new Map<string, string>();
  for (const line of frame.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    fields.set(name, name === 'data' && fields.has('data') ? `${fields.get('data')}\n${value}` : value);
  }
  const [id, type, data] = [fields.get('id'), fields.get('event'), fields.get('data')];
  return id === undefined || type === undefined || data === undefined ? undefined : { id, type, data };
}

/** Posts one event as a webhook; the receiver's status, or why there was none. */
async function forward(url: string, event: StreamEvent, secret: string): Promise<string> {
  const headers = signDelivery(event.id, new Date(), event.data, [secret]);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'Purse-CLI-Listen/1' },
      body: event.data,
      signal: AbortSignal.timeout(forward_timeout_ms),
    });
    await response.arrayBuffer().catch(() => undefined);
    return String(response.status);
  } catch (error) {
    return `failed: ${String((error as Error).cause ?? (error as Error).message)}`;
  }
}
