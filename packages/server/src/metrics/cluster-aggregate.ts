import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSource } from './scrape.js';

/**
 * `serve --processes` runs its API processes on one shared port, so a scrape of /metrics reaches
 * whichever child takes the connection, and each child's counters would look like one series
 * resetting at random. Instead the primary serves, on its own port, every child's figures
 * combined through prom-client's cluster messages: counters and histograms summed, and the
 * database-wide figures, which every child reports alike, taken once (their `aggregator`).
 */

/** In a child: answers the primary's requests with `registry`'s figures. */
export function shareWithPrimary(registry: Registry): void {
  // Constructing one is what installs the child's answering listener.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/** In the primary: every child's figures, combined; fails after 5 s if a child does not answer. */
export function childrenCombined(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  return { contentType: aggregator.contentType, metrics: () => aggregator.clusterMetrics() };
}
