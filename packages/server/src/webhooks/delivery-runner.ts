import type { WebhookConfig } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Clock } from '../shared/clock.js';
import { attemptDelivery, claimDeliveries } from './delivery.js';

export interface DeliveryRunnerDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly config: WebhookConfig;
  readonly log: { error(obj: object, msg: string): void };
}

/**
 * Keeps up to `deliveries_in_flight_max` attempts in flight in this process. Each poll claims what
 * there is room for and returns at once; whenever an attempt finishes, the freed slot is refilled,
 * so one slow endpoint never holds up the others and a backlog drains without waiting for polls.
 */
export class DeliveryRunner {
  private readonly in_flight = new Set<Promise<void>>();
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
      const claimed = await claimDeliveries(this.deps.pool, this.deps.clock.now(), room, this.deps.config);
      for (const delivery of claimed) {
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
}
