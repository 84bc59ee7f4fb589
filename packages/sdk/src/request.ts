import { ConnectionError, clientError, errorFromResponse, type PurseError } from './errors.js';
import { isRetryable, nextDelay_ms, type Outcome, type RetryPolicy, retryAfter_ms } from './retry.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/**
 * How a client proves who it is: an API key (`Authorization: Bearer`), or the browser session of
 * an operator signed in to the dashboard (the session cookie the browser sends on its own to the
 * same origin, the CSRF token on every state-changing call, and the mode chosen per request).
 */
export type ClientAuth =
  | { readonly kind: 'api_key'; readonly api_key: string }
  | { readonly kind: 'session'; readonly csrf_token: string; readonly mode: 'test' | 'live' };

/** What every request of one client shares. */
export interface ClientConfig {
  readonly auth: ClientAuth;
  readonly base_url: string;
  readonly timeout_ms: number;
  readonly retry: RetryPolicy;
  readonly purse_version: string | undefined;
  readonly fetch: typeof fetch;
}

/** Per-call options, the last argument of every method. */
export interface RequestOptions {
  /** Sent on a POST; generated (a random UUID) when absent, and the same on every retry. */
  readonly idempotency_key?: string | undefined;
  /** Aborts the call, including any wait between retries. */
  readonly signal?: AbortSignal | undefined;
  /** Answer as this API version instead of the client's or the key's. */
  readonly purse_version?: string | undefined;
  readonly max_retries?: number | undefined;
  readonly timeout_ms?: number | undefined;
}

export interface ApiRequest {
  readonly method: HttpMethod;
  /** With its path parameters already filled in, e.g. `/v1/wallets/wal_.../balance`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, unknown>> | undefined;
  readonly body?: unknown;
  /** A file's media type (`application/pdf`): asked for with `Accept`, and a 2xx is read as bytes. */
  readonly accept?: string | undefined;
}

/**
 * A successful answer, parsed: JSON as objects, a file asked for with `accept` as a `Uint8Array`,
 * any other content type as text.
 */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/**
 * Sends one API request, retrying what `isRetryable` allows with the policy's backoff, and
 * returns the parsed 2xx answer or throws a typed `PurseError`. The one request function every
 * resource method goes through.
 */
export async function send(
  config: ClientConfig,
  request: ApiRequest,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const policy = {
    ...config.retry,
    ...(options.max_retries === undefined ? {} : { max_retries: options.max_retries }),
  };
  const init = requestInit(config, request, options);
  const url = requestUrl(config.base_url, request);
  const started_ms = Date.now();
  for (let retry = 0; ; retry++) {
    const attempt = await attemptOnce(config, url, init, request.accept !== undefined, options);
    if (attempt.response !== undefined) return attempt.response;
    const delay_ms = isRetryable(attempt.outcome)
      ? nextDelay_ms(
          retry,
          Date.now() - started_ms,
          attempt.error.retry_after_s === undefined ? undefined : attempt.error.retry_after_s * 1000,
          policy,
        )
      : undefined;
    if (delay_ms === undefined) throw attempt.error;
    await sleep(delay_ms, options.signal);
  }
}

type Attempt =
  | { readonly response: ApiResponse; readonly outcome?: undefined; readonly error?: undefined }
  | { readonly response?: undefined; readonly outcome: Outcome; readonly error: PurseError };

async function attemptOnce(
  config: ClientConfig,
  url: string,
  init: RequestInit,
  binary: boolean,
  options: RequestOptions,
): Promise<Attempt> {
  const timeout_ms = options.timeout_ms ?? config.timeout_ms;
  const timeout = AbortSignal.timeout(timeout_ms);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  let response: Response;
  let body: unknown;
  try {
    response = await config.fetch(url, { ...init, signal });
    body = binary && response.ok ? new Uint8Array(await response.arrayBuffer()) : await readBody(response);
  } catch (error) {
    // The caller's own abort ends the call as it is; anything else is a missing answer.
    if (options.signal?.aborted === true) throw options.signal.reason;
    const timed_out = timeout.aborted;
    return {
      outcome: { kind: 'no_answer' },
      error: clientError(
        ConnectionError,
        timed_out ? 'timeout' : 'connection_failed',
        timed_out ? 'The request timed out' : 'The connection failed',
        timed_out ? `No answer within ${timeout_ms} ms` : `${init.method} ${url}: ${describe(error)}`,
        error,
      ),
    };
  }
  if (response.ok) return { response: { status: response.status, headers: response.headers, body } };
  const error = errorFromResponse(response.status, body, {
    request_id: response.headers.get('request-id') ?? undefined,
    retry_after_s: retryAfterSeconds(response.headers.get('retry-after')),
  });
  return { outcome: { kind: 'answer', status: response.status, code: error.code }, error };
}

function requestInit(config: ClientConfig, request: ApiRequest, options: RequestOptions): RequestInit {
  const headers: Record<string, string> = {
    ...authHeaders(config.auth, request.method),
    // A file's refusal is still a problem document.
    accept: request.accept === undefined ? 'application/json' : `${request.accept}, application/problem+json`,
  };
  const version = options.purse_version ?? config.purse_version;
  if (version !== undefined) headers['purse-version'] = version;
  if (request.method === 'POST') headers['idempotency-key'] = options.idempotency_key ?? randomUuid();
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  return {
    method: request.method,
    headers,
    // A session's cookie goes to its own origin only; a key needs no cookie at all.
    credentials: config.auth.kind === 'session' ? 'same-origin' : 'omit',
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
  };
}

/**
 * The headers that carry the caller's identity. A key: `Authorization` (and the SDK's user agent,
 * which only a server-side client can set). A session: no `Authorization` (the cookie is the
 * credential), `Purse-Mode` on every call, and `X-CSRF-Token` on every call that may change state.
 */
export function authHeaders(auth: ClientAuth, method: HttpMethod | 'GET'): Record<string, string> {
  if (auth.kind === 'api_key')
    return { authorization: `Bearer ${auth.api_key}`, 'user-agent': 'purse-sdk-node/0.1.0' };
  return { 'purse-mode': auth.mode, ...(method === 'GET' ? {} : { 'x-csrf-token': auth.csrf_token }) };
}

/**
 * A random (version 4) UUID for an idempotency key, from the Web Crypto API that Node.js and
 * browsers share; `randomUUID` itself exists only in a browser's secure contexts.
 */
function randomUuid(): string {
  const crypto = globalThis.crypto;
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function requestUrl(base_url: string, request: Pick<ApiRequest, 'path' | 'query'>): string {
  const url = new URL(request.path, base_url);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value === undefined || value === null) continue;
    url.searchParams.set(name, value instanceof Date ? value.toISOString() : String(value));
  }
  return url.toString();
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  const type = response.headers.get('content-type') ?? '';
  if (!/\bjson\b/.test(type)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function retryAfterSeconds(header: string | null): number | undefined {
  const ms = retryAfter_ms(header, Date.now());
  return ms === undefined ? undefined : ms / 1000;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** Waits, unless the caller aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
