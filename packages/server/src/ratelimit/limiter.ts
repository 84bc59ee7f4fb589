/** A window's count after one more hit, and when the window ends. */
export interface Hit {
  readonly count: number;
  readonly reset_ms: number;
}

/**
 * Fixed-window counters per key: `hit` adds one request to the current window of `window_ms`
 * (windows start at multiples of it, by the application's clock) and returns the new count.
 */
export interface RateLimiter {
  hit(key: string, window_ms: number, now_ms: number): Promise<Hit>;
  close(): Promise<void>;
}

/** Counters in this process: right for one API process, or when Redis is not configured. */
export function memoryLimiter(entries_max = 100_000): RateLimiter {
  const windows = new Map<string, { window: number; count: number }>();
  return {
    async hit(key, window_ms, now_ms) {
      const window = Math.floor(now_ms / window_ms);
      const current = windows.get(key);
      const count = current !== undefined && current.window === window ? current.count + 1 : 1;
      // Delete and set again so the map's insertion order is least recently used first.
      windows.delete(key);
      windows.set(key, { window, count });
      if (windows.size > entries_max) {
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      return { count, reset_ms: (window + 1) * window_ms };
    },
    async close() {
      windows.clear();
    },
  };
}
