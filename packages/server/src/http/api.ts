import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Clock } from '../shared/clock.js';
import type { Result } from '../shared/result.js';
import type { ApiKeyCache } from './auth.js';
import { sendProblem } from './problem.js';

/** The Fastify instance routes are declared on: TypeBox schemas give handlers their types. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What route modules receive: the database, configuration, clock and shared caches. */
export interface RouteDeps {
  readonly pool: Pool;
  readonly config: Config;
  readonly clock: Clock;
  readonly key_cache: ApiKeyCache;
}

/** Answers a read: the value as JSON, or the domain error as a problem. */
export function sendResult<T>(request: FastifyRequest, reply: FastifyReply, result: Result<T>): FastifyReply {
  return result.ok ? reply.send(result.value) : sendProblem(request, reply, result.error);
}
