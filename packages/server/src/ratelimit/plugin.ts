import type { FastifyInstance } from 'fastify';
import type { Limits } from '../config.js';
import { authOf } from '../http/auth.js';
import type { Clock } from '../shared/clock.js';
import { domainError, HttpProblem } from '../shared/errors.js';
import type { RateLimiter } from './limiter.js';
import { requestsPerWindow } from './policy.js';

export interface RateLimitDeps {
  readonly limiter: RateLimiter;
  readonly limits: Limits;
  readonly clock: Clock;
}

/**
 * Limits each API key to its requests per window (its own value when set, else the default of its
 * kind: see policy.ts), after authentication. Every answer says where the key stands (RateLimit-Limit, -Remaining,
 * -Reset in seconds); past the limit it is 429 with Retry-After. A failing limiter lets requests
 * through and logs it.
 */
export function registerRateLimit(app: FastifyInstance, deps: RateLimitDeps): void {
  const window_ms = deps.limits.rate_limit_window_ms;
  app.addHook('onRequest', async (request, reply) => {
    const auth = authOf(request);
    const limit = requestsPerWindow(auth, deps.limits);
    if (limit === 0) return;
    const now_ms = deps.clock.now().getTime();
    let hit: { count: number; reset_ms: number };
    try {
      hit = await deps.limiter.hit(auth.key_id, window_ms, now_ms);
    } catch (error) {
      request.log.warn({ err: error }, 'rate limiter unavailable: request let through');
      return;
    }
    const reset_s = Math.max(1, Math.ceil((hit.reset_ms - now_ms) / 1000));
    reply.header('RateLimit-Limit', limit);
    reply.header('RateLimit-Remaining', Math.max(0, limit - hit.count));
    reply.header('RateLimit-Reset', reset_s);
    if (hit.count > limit) {
      reply.header('Retry-After', reset_s);
      throw new HttpProblem(
        domainError(
          'rate_limited',
          `This key may make ${limit} requests per ${window_ms} ms; retry in ${reset_s} s.`,
        ),
      );
    }
  });
}
