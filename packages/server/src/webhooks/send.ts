import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { type AddressPolicy, isPublicAddressText, literalAddress } from './url-guard.js';

export interface SendOptions {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeout_ms: number;
  readonly response_bytes_max: number;
  readonly policy: AddressPolicy;
}

/** What one attempt got back: a status, or why there was none. */
export interface SendResult {
  readonly status_code: number | null;
  readonly error: string | null;
  readonly latency_ms: number;
  /** The start of the body, sanitized; only from a public address (see `excerptKept`). */
  readonly response_excerpt: string | null;
}

const error_chars_max = 500;

/**
 * One POST, never following redirects (a 3xx is a failure), bounded by `timeout_ms` from start to
 * the last byte read, reading at most `response_bytes_max` of the response, and none of it from an
 * address that is not public. Every connection is new and resolved through the policy, so each
 * attempt checks the address it really connects to.
 */
export function sendWebhook(options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  const url = new URL(options.url);
  const literal = literalAddress(url);
  if (literal !== undefined && !options.policy.permits(literal)) {
    return Promise.resolve(failure(`${literal} is a forbidden address`, 0));
  }
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      agent: false,
      lookup: options.policy.lookup(),
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(options.body),
        'user-agent': 'Purse-Webhooks/1',
        ...options.headers,
      },
    });
    const timer = setTimeout(
      () => settle(failure(`timed out after ${options.timeout_ms} ms`, latency())),
      options.timeout_ms,
    );
    // The address the socket reached, kept for errors raised after the socket is gone.
    let peer: string | undefined;
    request.on('socket', (socket) => socket.once('connect', () => (peer = socket.remoteAddress)));
    request.on('error', (error: NodeJS.ErrnoException) => settle(failure(describe(error, peer), latency())));
    request.on('response', (response) => {
      const answered = (excerpt: string | null) =>
        settle({
          status_code: response.statusCode ?? null,
          error: null,
          latency_ms: latency(),
          response_excerpt: excerpt,
        });
      if (!excerptKept(response.socket.remoteAddress)) return answered(null);
      readCapped(response, options.response_bytes_max, answered);
    });
    request.end(options.body);
  });
}

/**
 * The delivery log shows whoever may manage webhook endpoints the start of each answer. From a
 * loopback or private address that would let a test-mode key read services inside the network
 * (read-SSRF: point an endpoint at http://127.0.0.1:<port>/ and read the log), so the body of an
 * answer from any address that is not public is never read, whatever the mode or
 * PURSE_WEBHOOK_ALLOWED_NETWORKS say: its status line is all that is kept. The address checked is
 * the one the socket is connected to, so neither a DNS name nor a rebinding changes the decision.
 */
export function excerptKept(remote_address: string | undefined): boolean {
  return remote_address !== undefined && isPublicAddressText(remote_address);
}

/**
 * A response body as the delivery log keeps it: at most `bytes_max` bytes, decoded as UTF-8 (a cut
 * or invalid sequence becomes U+FFFD), with control characters other than tab and line breaks
 * removed, NUL included (PostgreSQL text cannot hold it), so it is safe to show in a terminal or
 * a dashboard.
 */
export function sanitizedExcerpt(body: Buffer, bytes_max: number): string {
  return body
    .subarray(0, bytes_max)
    .toString('utf8')
    .replace(/(?![\t\n\r])\p{Cc}/gu, '');
}

/** Reads up to `bytes_max` of the body, then stops reading; calls back once with the excerpt. */
function readCapped(response: IncomingMessage, bytes_max: number, done: (excerpt: string) => void): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const finish = () => done(sanitizedExcerpt(Buffer.concat(chunks), bytes_max));
  response.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes >= bytes_max) finish();
  });
  response.on('end', finish);
  response.on('error', finish);
}

function failure(error: string, latency_ms: number): SendResult {
  return { status_code: null, error: error.slice(0, error_chars_max), latency_ms, response_excerpt: null };
}

/**
 * An error as the delivery log shows it. From a peer that is not public only its code: a message
 * can carry what the service there said about itself (a TLS certificate's names, for one), which
 * is as much a read of the inside as a response body (see `excerptKept`).
 */
function describe(error: NodeJS.ErrnoException, peer: string | undefined): string {
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ENOTFOUND') return `host not found: ${error.message}`;
  if (peer !== undefined && !excerptKept(peer)) return error.code ?? 'the connection failed';
  return error.code === undefined ? error.message : `${error.code}: ${error.message}`;
}
