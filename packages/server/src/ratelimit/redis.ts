import { Redis } from 'ioredis';
import type { Hit, RateLimiter } from './limiter.js';

/** INCR and, on the window's first hit, PEXPIRE: one atomic script, so processes never race. */
const hit_script = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

/**
 * Counters in Redis, shared by every API process. Commands fail within half a second when Redis is
 * unreachable (one retry, a command timeout), and the caller then lets the request through: a rate
 * limiter must not take the API down with it.
 */
export function redisLimiter(url: string): RateLimiter {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 1_000, commandTimeout: 500 });
  redis.on('error', () => undefined);
  redis.defineCommand('purseHit', { numberOfKeys: 1, lua: hit_script });
  const run = redis as unknown as { purseHit(key: string, ttl_ms: number): Promise<number> };
  return {
    async hit(key, window_ms, now_ms): Promise<Hit> {
      const window = Math.floor(now_ms / window_ms);
      // Kept a window longer than it lasts, so a slow clock in another process still finds it.
      const count = await run.purseHit(`purse:ratelimit:${key}:${window}`, window_ms * 2);
      return { count, reset_ms: (window + 1) * window_ms };
    },
    async close() {
      redis.disconnect();
    },
  };
}
