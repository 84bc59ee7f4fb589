import { assert } from '../shared/assert.js';

/** What the queue knows of a job: how it may be batched. The job itself is opaque data. */
export interface JobFacts {
  /** Transfers the job carries; a batch holds at most `batch_size_max` of them (and at least one job). */
  readonly size: number;
  /** Written in a batch of its own. */
  readonly alone: boolean;
  /** Its idempotency key (with its API key), if any: two jobs with one key never share a batch. */
  readonly key?: string;
}

export interface BatchQueueOptions {
  readonly batch_size_max: number;
  /** Extra wait for a fuller batch while another is being written; 0: none. */
  readonly batch_wait_ms: number;
  readonly flushes_in_flight_max: number;
  readonly queued_transfers_max: number;
}

/** Writes a batch: one outcome per job, in order, or throws when the batch failed as a whole. */
export type Flush<J, O> = (jobs: readonly J[]) => Promise<readonly O[]>;

/** Calls `callback` once, `ms` from now; tests hand in one they fire by hand. */
export type Timer = (callback: () => void, ms: number) => void;

const real_timer: Timer = (callback, ms) => {
  setTimeout(callback, ms);
};

interface Pending<J, O> {
  readonly job: J;
  readonly facts: JobFacts;
  /** Retried alone after its batch failed as a whole. */
  readonly isolated: boolean;
  resolve(outcome: O): void;
  reject(error: unknown): void;
}

/**
 * The scheduling half of group commit, with no database: which queued jobs leave together, and
 * when. A job that finds a free flush slot leaves at once, so an idle system adds no latency; while
 * every slot is busy, jobs queue and leave together (up to `batch_size_max` transfers) when one
 * frees. Every wait and size is bounded:
 * - at most `queued_transfers_max` transfers wait; past it `submit` answers 'full' at once;
 * - at most `flushes_in_flight_max` batches are written at once, retries included: a batch that
 *   fails as a whole goes back to the head of the queue, one job per batch, so whatever failed it
 *   (a lock held too long, a bug in one request) fails only its own job;
 * - a job whose idempotency key is in the batch being formed or in one being written waits in the
 *   queue until that batch is done, then leaves with a later batch (and finds the stored answer),
 *   so the others never wait for it.
 * Deterministic: given the flush results and timer firings, the batches are always the same.
 */
export class BatchQueue<J, O> {
  private readonly queue: Pending<J, O>[] = [];
  private queued_transfers = 0;
  private in_flight = 0;
  private readonly keys_in_flight = new Set<string>();
  private timer_armed = false;
  private readonly idle_waiters: (() => void)[] = [];

  constructor(
    private readonly flush: Flush<J, O>,
    private readonly factsOf: (job: J) => JobFacts,
    private readonly options: BatchQueueOptions,
    private readonly timer: Timer = real_timer,
  ) {
    assert(
      options.batch_size_max >= 1 && options.flushes_in_flight_max >= 1 && options.queued_transfers_max >= 1,
      'a batch queue needs room for one job',
    );
  }

  /** The job's outcome once its batch is written, or 'full' when it would pass the queue's bound. */
  submit(job: J): Promise<O> | 'full' {
    const facts = this.factsOf(job);
    assert(facts.size >= 1, 'a job carries at least one transfer');
    // An empty queue takes any job, so a job larger than the bound is not refused forever.
    if (this.queue.length > 0 && this.queued_transfers + facts.size > this.options.queued_transfers_max)
      return 'full';
    return new Promise((resolve, reject) => {
      this.enqueue({ job, facts, isolated: false, resolve, reject }, 'tail');
      this.schedule();
    });
  }

  /** Resolves once every submitted job has been answered (shutdown waits on it). */
  drain(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idle_waiters.push(resolve));
  }

  /** Jobs waiting and batches being written, for tests and metrics. */
  get depth(): {
    readonly queued_jobs: number;
    readonly queued_transfers: number;
    readonly in_flight: number;
  } {
    return {
      queued_jobs: this.queue.length,
      queued_transfers: this.queued_transfers,
      in_flight: this.in_flight,
    };
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.in_flight === 0;
  }

  private enqueue(pending: Pending<J, O>, where: 'head' | 'tail'): void {
    if (where === 'head') this.queue.unshift(pending);
    else this.queue.push(pending);
    this.queued_transfers += pending.facts.size;
  }

  private schedule(): void {
    while (this.in_flight < this.options.flushes_in_flight_max && this.queue.length > 0) {
      if (this.waitForCompany()) break;
      if (!this.flushNext()) break;
    }
    if (this.idle()) for (const resolve of this.idle_waiters.splice(0)) resolve();
  }

  /** While another batch is being written, a small batch may wait `batch_wait_ms` for company. */
  private waitForCompany(): boolean {
    const { batch_wait_ms, batch_size_max } = this.options;
    if (batch_wait_ms <= 0 || this.in_flight === 0 || this.queued_transfers >= batch_size_max) return false;
    if (!this.timer_armed) {
      this.timer_armed = true;
      this.timer(() => {
        this.timer_armed = false;
        if (this.in_flight < this.options.flushes_in_flight_max) this.flushNext();
      }, batch_wait_ms);
    }
    return true;
  }

  /** Starts writing the next batch; false when every queued job waits for a key in flight. */
  private flushNext(): boolean {
    const batch = this.take();
    if (batch.length === 0) return false;
    this.in_flight += 1;
    const keys = batch.flatMap((pending) => (pending.facts.key === undefined ? [] : [pending.facts.key]));
    for (const key of keys) this.keys_in_flight.add(key);
    void this.write(batch).finally(() => {
      this.in_flight -= 1;
      for (const key of keys) this.keys_in_flight.delete(key);
      this.schedule();
    });
    return true;
  }

  /**
   * Takes the next batch off the queue, in arrival order: up to `batch_size_max` transfers, at
   * least one job; a job that goes alone ends the batch. Jobs whose key is taken stay queued.
   */
  private take(): Pending<J, O>[] {
    const taken: Pending<J, O>[] = [];
    const keys = new Set<string>();
    let transfers = 0;
    for (let index = 0; index < this.queue.length; ) {
      const pending = this.queue[index] as Pending<J, O>;
      const { key, size } = pending.facts;
      if (key !== undefined && (this.keys_in_flight.has(key) || keys.has(key))) {
        index += 1;
        continue;
      }
      const alone = pending.isolated || pending.facts.alone;
      if (taken.length > 0 && (alone || transfers + size > this.options.batch_size_max)) break;
      this.queue.splice(index, 1);
      this.queued_transfers -= size;
      taken.push(pending);
      transfers += size;
      if (key !== undefined) keys.add(key);
      if (alone) break;
    }
    return taken;
  }

  private async write(batch: readonly Pending<J, O>[]): Promise<void> {
    let outcomes: readonly O[];
    try {
      outcomes = await this.flush(batch.map((pending) => pending.job));
    } catch (error) {
      const [only] = batch;
      if (batch.length === 1 && only !== undefined) only.reject(error);
      // In reverse, so the jobs keep their order at the head of the queue.
      else for (const pending of [...batch].reverse()) this.enqueue({ ...pending, isolated: true }, 'head');
      return;
    }
    assert(outcomes.length === batch.length, 'one outcome per job');
    for (const [index, pending] of batch.entries()) pending.resolve(outcomes[index] as O);
  }
}
