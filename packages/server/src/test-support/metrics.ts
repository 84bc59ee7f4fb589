import { expect } from 'vitest';
import type { TestApp } from './app.js';

/** GET /metrics, as Prometheus would scrape it. */
export async function scrape(t: TestApp): Promise<string> {
  const response = await t.request({ method: 'GET', url: '/metrics', key: null });
  expect(response.statusCode, response.body).toBe(200);
  return response.body;
}

/**
 * The value of the sample `name` whose labels include `labels` (summed when several do, as
 * Prometheus's `sum` would); 0 when none does.
 */
export function sample(body: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  let total = 0;
  for (const line of body.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = (match[2] ?? '').split(/,(?=[a-zA-Z_]+=")/);
    if (wanted.every((pair) => present.includes(pair))) total += Number(match[3]);
  }
  return total;
}
