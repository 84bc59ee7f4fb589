import autocannon from 'autocannon';

export interface LoadResult {
  readonly requests_ok: number;
  readonly errors: number;
  readonly duration_s: number;
  readonly latency_ms: { p50: number; p99: number; max: number };
}

export interface LoadOptions {
  readonly base_url: string;
  readonly api_key: string;
  readonly path: string;
  readonly duration_s: number;
  readonly connections: number;
  /** Requests per second across all connections; unset: as fast as the server answers. */
  readonly rate_per_s?: number;
  /** A fresh JSON body for each request. */
  readonly body: () => unknown;
}

let request_counter = 0;

/**
 * Drives POST requests with autocannon, each with its own body and Idempotency-Key and the real
 * API key. A request counts as committed only on a 2xx; anything else is an error.
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const run_id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const result = await autocannon({
    url: options.base_url,
    connections: options.connections,
    duration: options.duration_s,
    ...(options.rate_per_s === undefined ? {} : { overallRate: options.rate_per_s }),
    requests: [
      {
        method: 'POST',
        path: options.path,
        setupRequest: (request) => {
          request_counter += 1;
          return {
            ...request,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${options.api_key}`,
              'idempotency-key': `bench-${run_id}-${request_counter}`,
            },
            body: JSON.stringify(options.body()),
          };
        },
      },
    ],
  });
  const non_2xx = result.non2xx + result.errors + result.timeouts;
  return {
    requests_ok: result['2xx'],
    errors: non_2xx,
    duration_s: result.duration,
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  };
}
