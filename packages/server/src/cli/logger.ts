import pino from 'pino';
import type { Config } from '../config.js';

export type Logger = pino.Logger;

/** JSON logs to stdout; anything that could carry a secret is redacted before it is written. */
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
  return destination === undefined ? pino(options) : pino(options, destination);
}
