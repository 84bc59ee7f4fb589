import { randomUUID } from 'node:crypto';
import { type Flags, flag } from './args.js';
import { type Problem, ProblemError, UsageError } from './output.js';

const request_timeout_ms = 30_000;
/** Network errors only: a POST is retried under the same Idempotency-Key, so it cannot apply twice. */
const attempts_max = 3;
const retry_delay_ms = 500;

/**
 * The few calls listen, trigger and import make, over plain fetch: `@purse/sdk` was not committed
 * when the CLI needed it (docs/decisions.md). A refused request throws ProblemError with the
 * server's problem.
 */
export interface ApiClient {
  readonly base_url: string;
  readonly api_key: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown, idempotency_key?: string): Promise<T>;
}

/** `--base-url` or PURSE_URL (default http://localhost:8080), `--api-key` or PURSE_API_KEY. */
export function clientFromFlags(flags: Flags): ApiClient {
  const base_url = (flag(flags, 'base-url') ?? process.env.PURSE_URL ?? 'http://localhost:8080').replace(
    /\/+$/,
    '',
  );
  const api_key = flag(flags, 'api-key') ?? process.env.PURSE_API_KEY;
  if (api_key === undefined || api_key === '')
    throw new UsageError('this command calls the API: pass --api-key sk_test_... or set PURSE_API_KEY');
  if (!/^https?:\/\//.test(base_url)) throw new UsageError('--base-url must be an http(s) URL');
  return createClient(base_url, api_key);
}

export function createClient(base_url: string, api_key: string): ApiClient {
  const call = async <T>(method: string, path: string, body?: unknown, idempotency_key?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${api_key}` };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['idempotency-key'] = idempotency_key ?? randomUUID();
    }
    const response = await fetchRetrying(`${base_url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed = parseJson(text);
    if (response.ok) return parsed as T;
    throw new ProblemError(asProblem(parsed, response.status, text));
  };
  return {
    base_url,
    api_key,
    get: (path) => call('GET', path),
    post: (path, body, idempotency_key) => call('POST', path, body, idempotency_key),
  };
}

async function fetchRetrying(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(request_timeout_ms) });
    } catch (error) {
      if (attempt >= attempts_max)
        throw new ProblemError({
          code: 'api_unreachable',
          title: 'The API did not answer',
          detail: `${init.method} ${url}: ${String((error as Error).cause ?? (error as Error).message)}`,
        });
      await new Promise((resolve) => setTimeout(resolve, retry_delay_ms * attempt));
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asProblem(body: unknown, status: number, text: string): Problem {
  if (typeof body === 'object' && body !== null && typeof (body as Problem).code === 'string')
    return body as Problem;
  return { code: 'http_error', status, detail: `HTTP ${status}: ${text.slice(0, 200)}` };
}
