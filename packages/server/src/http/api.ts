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
import type { Client, Pool } from '../db/pool.js';
import type { ReadRouter } from '../db/replica.js';
import type { EventStreams } from '../events/stream.js';
import type { WriteContext } from '../ledger/context.js';
import type { RailContext } from '../rails/index.js';
import type { Clock } from '../shared/clock.js';
import type { Result } from '../shared/result.js';
import type { TransferGroupCommit } from '../transfers/group-commit.js';
import { type ApiKeyCache, authOf } from './auth.js';
import type { MutationGroupCommit } from './grouped-mutation.js';
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
  /** For the heavy reads that may be a bounded moment stale: a fresh replica, else `pool`. */
  readonly reads: ReadRouter;
  readonly config: Config;
  readonly clock: Clock;
  readonly key_cache: ApiKeyCache;
  readonly transfer_commit: TransferGroupCommit;
  /** Group commit of the money endpoints marked `grouped` (POST /v1/payments). */
  readonly mutation_commit: MutationGroupCommit;
  readonly event_streams: EventStreams;
}

/** Answers a read: the value as JSON, or the domain error as a problem. */
export function sendResult<T>(request: FastifyRequest, reply: FastifyReply, result: Result<T>): FastifyReply {
  return result.ok ? reply.send(result.value) : sendProblem(request, reply, result.error);
}

/** The context a money-moving service runs in, for a request inside its transaction `db`. */
export function writeContext(deps: RouteDeps, request: FastifyRequest, db: Client): WriteContext {
  return {
    db,
    pool: deps.pool,
    livemode: authOf(request).livemode,
    limits: deps.config.limits,
    now: deps.clock.now(),
  };
}

/** A write context with the rails' settings, for services that move money in or out. */
export function railContext(deps: RouteDeps, request: FastifyRequest, db: Client): RailContext {
  return { ...writeContext(deps, request, db), rails: deps.config.rails };
}
