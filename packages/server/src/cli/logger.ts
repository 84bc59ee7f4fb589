import pino from 'pino';
import type { Config } from '../config.js';
import { prettyDestination } from './pretty-log.js';

export type Logger = pino.Logger;

/**
 * JSON logs to stdout, or human lines when stdout is a terminal (LOG_FORMAT=json|pretty overrides);
 * anything that could carry a secret is redacted before it is written.
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
  };
  if (destination !== undefined) return pino(options, destination);
  const pretty =
    config.log_format === 'pretty' || (config.log_format === 'auto' && process.stdout.isTTY === true);
  return pretty ? pino(options, prettyDestination(process.stdout)) : pino(options);
}
