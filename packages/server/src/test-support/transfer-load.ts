/**
 * Clients sending transfers to a running Purse, one after another per lane, for tests that break
 * the database under them. A transfer that fails is retried with its idempotency key until it is
 * acknowledged, as a client following the API's retry advice would; every 2xx is recorded.
 */

export interface Acknowledged {
  readonly id: string;
  readonly amount_minor: bigint;
}

export interface TransferLoadOptions {
  readonly base_url: string;
  readonly key: string;
  readonly source_wallet_id: string;
  /** One lane per destination wallet. */
  readonly destination_wallet_ids: readonly string[];
}

const retry_pause_ms = 50;

export class TransferLoad {
  /** By idempotency key. */
  readonly acknowledged = new Map<string, Acknowledged>();
  /** Answers by HTTP status; 0 for a request whose connection broke. */
  readonly statuses = new Map<number, number>();
  private stopping = false;
  private readonly lanes: Promise<void>;
  /** When each acknowledged request was sent and answered (Date.now()). */
  private readonly timings: { sent_ms: number; answered_ms: number }[] = [];

  constructor(private readonly options: TransferLoadOptions) {
    this.lanes = Promise.all(
      options.destination_wallet_ids.map((destination, lane) => this.lane(lane, destination)),
    ).then(() => undefined);
  }

  /** When the first request sent after `ms` was acknowledged; undefined: none yet. */
  firstAcknowledgedSentAfter(ms: number): number | undefined {
    const answers = this.timings.filter((timing) => timing.sent_ms > ms).map((timing) => timing.answered_ms);
    return answers.length === 0 ? undefined : Math.min(...answers);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.lanes;
  }

  private async lane(lane: number, destination: string): Promise<void> {
    for (let n = 0; !this.stopping; n += 1) {
      const amount_minor = BigInt(1 + ((lane * 7 + n) % 50));
      const idempotency_key = `load-${lane}-${n}`;
      while (!this.stopping && !(await this.send(idempotency_key, destination, amount_minor)))
        await new Promise((resolve) => setTimeout(resolve, retry_pause_ms));
    }
  }

  /** One attempt; true once acknowledged. */
  private async send(idempotency_key: string, destination: string, amount_minor: bigint): Promise<boolean> {
    const sent_ms = Date.now();
    const response = await fetch(`${this.options.base_url}/v1/transfers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.options.key}`,
        'content-type': 'application/json',
        'idempotency-key': idempotency_key,
      },
      body: JSON.stringify({
        source_wallet_id: this.options.source_wallet_id,
        destination_wallet_id: destination,
        amount: `0.${String(amount_minor).padStart(2, '0')}`,
        currency: 'USD',
      }),
    }).catch(() => undefined);
    const status = response?.status ?? 0;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (response?.status !== 201) {
      await response?.body?.cancel();
      return false;
    }
    const body = (await response.json()) as { id: string };
    this.acknowledged.set(idempotency_key, { id: body.id, amount_minor });
    this.timings.push({ sent_ms, answered_ms: Date.now() });
    return true;
  }
}
