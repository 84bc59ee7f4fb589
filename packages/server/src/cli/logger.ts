import pino from 'pino';
import type { Config } from '../config.js';
import { traceIdsForLog } from '../tracing/spans.js';
import { prettyDestination } from './pretty-log.js';

export type Logger = pino.Logger;

/**
 * JSON logs to stdout, or human lines when stdout is a terminal (LOG_FORMAT=json|pretty overrides);
 * anything that could carry a secret is redacted before it is written. While tracing, a line written
 * inside a span carries its `trace_id` and `span_id`.
 */
export function createLogger(config: Config, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.log_level,
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.secret',
        'secret',
        'password',
        '*.password',
        '*.*.secret',
        'req.headers["idempotency-key"]',
        'headers.cookie',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
    serializers: { req: requestLine },
    mixin: traceIdsForLog,
  };
  if (destination !== undefined) return pino(options, destination);
  const pretty =
    config.log_format === 'pretty' || (config.log_format === 'auto' && process.stdout.isTTY === true);
  return pretty ? pino(options, prettyDestination(process.stdout)) : pino(options);
}

interface LoggedRequest {
  readonly method?: string;
  readonly url?: string;
  readonly host?: string;
  readonly hostname?: string;
  readonly ip?: string;
  readonly socket?: { readonly remoteAddress?: string };
}

/**
 * A request as its log line shows it: the query's values are cut, since a filter may be an email
 * (`GET /v1/holders?email=`) and logs must never hold personal data; bodies are never logged.
 */
function requestLine(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: withoutQueryValues(request.url ?? ''),
    host: request.host ?? request.hostname,
    remoteAddress: request.ip ?? request.socket?.remoteAddress,
  };
}

function withoutQueryValues(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const names = url
    .slice(at + 1)
    .split('&')
    .map((pair) => `${pair.split('=')[0]}=[redacted]`);
  return `${url.slice(0, at)}?${names.join('&')}`;
}
