import type { WebhookConfig } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Clock } from '../shared/clock.js';
import { attemptDelivery, type ClaimedDelivery, claimDeliveries } from './delivery.js';

export interface DeliveryRunnerDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly config: WebhookConfig;
  readonly log: { error(obj: object, msg: string): void };
}

/**
 * Keeps up to `deliveries_in_flight_max` attempts in flight in this process. Each poll claims what
 * there is room for and returns at once; whenever an attempt finishes, the freed slot is refilled,
 * so a backlog drains without waiting for polls. What is in flight per endpoint, and to failing
 * endpoints, bounds what a claim takes (see claimDeliveries): slow endpoints, even many of them,
 * leave slots to the others.
 */
export class DeliveryRunner {
  private readonly in_flight = new Set<Promise<void>>();
  private readonly per_endpoint = new Map<string, number>();
  private failing = 0;
  private filling: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly deps: DeliveryRunnerDeps) {}

  /** Claims and starts due attempts; returns how many it started. */
  poll(): Promise<number> {
    this.filling ??= this.fill().finally(() => {
      this.filling = undefined;
    });
    return this.filling;
  }

  /** Starts nothing more and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.filling;
    await Promise.all(this.in_flight);
  }

  private async fill(): Promise<number> {
    let started = 0;
    while (!this.stopped) {
      const room = this.deps.config.deliveries_in_flight_max - this.in_flight.size;
      if (room <= 0) break;
      const claimed = await claimDeliveries(this.deps.pool, this.deps.clock.now(), room, this.deps.config, {
        per_endpoint: this.per_endpoint,
        failing: this.failing,
      });
      for (const delivery of claimed) {
        this.count(delivery, 1);
        const attempt: Promise<void> = attemptDelivery(this.deps, delivery)
          .then(
            () => undefined,
            (error: unknown) =>
              this.deps.log.error(
                { err: error, delivery: delivery.delivery_id },
                'webhook attempt failed to record',
              ),
          )
          .finally(() => {
            this.count(delivery, -1);
            this.in_flight.delete(attempt);
            if (!this.stopped) void this.poll().catch(() => undefined);
          });
        this.in_flight.add(attempt);
      }
      started += claimed.length;
      if (claimed.length < room) break;
    }
    return started;
  }

  private count(delivery: ClaimedDelivery, delta: 1 | -1): void {
    const endpoint_id = delivery.endpoint.id;
    const count = (this.per_endpoint.get(endpoint_id) ?? 0) + delta;
    if (count === 0) this.per_endpoint.delete(endpoint_id);
    else this.per_endpoint.set(endpoint_id, count);
    if (delivery.failing) this.failing += delta;
  }
}
