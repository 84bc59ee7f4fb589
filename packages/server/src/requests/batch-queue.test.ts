import { describe, expect, it } from 'vitest';
import { BatchQueue, type BatchQueueOptions } from './batch-queue.js';

/** A job for the queue: a name, how many transfers, and optionally a key or alone. */
interface Job {
  readonly name: string;
  readonly size?: number;
  readonly key?: string;
  readonly alone?: boolean;
}

/** A flush the test settles by hand: every batch it was handed, and how to finish each. */
class ManualFlush {
  readonly batches: { names: string[]; succeed(): void; fail(): void }[] = [];
  in_flight = 0;
  in_flight_peak = 0;

  readonly flush = (jobs: readonly Job[]): Promise<readonly string[]> => {
    this.in_flight += 1;
    this.in_flight_peak = Math.max(this.in_flight_peak, this.in_flight);
    return new Promise((resolve, reject) => {
      const done = () => {
        this.in_flight -= 1;
      };
      this.batches.push({
        names: jobs.map((job) => job.name),
        succeed: () => {
          done();
          resolve(jobs.map((job) => `${job.name} ok`));
        },
        fail: () => {
          done();
          reject(new Error('batch failed'));
        },
      });
    });
  };

  names(): string[][] {
    return this.batches.map((batch) => batch.names);
  }
}

/** Lets promise callbacks run: no time passes (the queue's only timer is the injected one). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function queueOf(options: Partial<BatchQueueOptions> = {}, timers: (() => void)[] = []) {
  const manual = new ManualFlush();
  const queue = new BatchQueue<Job, string>(
    manual.flush,
    (job) => ({
      size: job.size ?? 1,
      alone: job.alone ?? false,
      ...(job.key === undefined ? {} : { key: job.key }),
    }),
    { batch_size_max: 3, batch_wait_ms: 0, flushes_in_flight_max: 1, queued_transfers_max: 100, ...options },
    (callback) => timers.push(callback),
  );
  return { queue, manual };
}

function submit(queue: BatchQueue<Job, string>, job: Job): Promise<string> {
  const outcome = queue.submit(job);
  if (outcome === 'full') throw new Error(`${job.name} refused`);
  return outcome;
}

describe('BatchQueue', () => {
  it('flushes a job at once when a slot is free, and gathers the jobs that arrive meanwhile, up to batch_size_max transfers', async () => {
    const { queue, manual } = queueOf();
    const outcomes = ['a', 'b', 'c', 'd', 'e'].map((name) => submit(queue, { name }));
    expect(manual.names()).toEqual([['a']]);
    manual.batches[0]?.succeed();
    await settle();
    expect(manual.names()).toEqual([['a'], ['b', 'c', 'd']]);
    manual.batches[1]?.succeed();
    await settle();
    manual.batches[2]?.succeed();
    expect(await Promise.all(outcomes)).toEqual(['a ok', 'b ok', 'c ok', 'd ok', 'e ok']);
    expect(manual.names()).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('writes a job that goes alone, or is larger than a batch, in a batch of its own', async () => {
    const { queue, manual } = queueOf();
    const outcomes = [
      submit(queue, { name: 'first' }),
      submit(queue, { name: 'a' }),
      submit(queue, { name: 'policy', alone: true }),
      submit(queue, { name: 'big', size: 5 }),
      submit(queue, { name: 'b' }),
    ];
    for (let round = 0; round < 5; round += 1) {
      manual.batches[round]?.succeed();
      await settle();
    }
    await Promise.all(outcomes);
    expect(manual.names()).toEqual([['first'], ['a'], ['policy'], ['big'], ['b']]);
  });

  it('answers full past queued_transfers_max, and always takes a job into an empty queue', async () => {
    const { queue, manual } = queueOf({ queued_transfers_max: 4 });
    const large = submit(queue, { name: 'large', size: 9 });
    const waiting = [submit(queue, { name: 'a', size: 2 }), submit(queue, { name: 'b', size: 2 })];
    expect(queue.submit({ name: 'c' })).toBe('full');
    expect(queue.depth).toEqual({ queued_jobs: 2, queued_transfers: 4, in_flight: 1 });
    manual.batches[0]?.succeed();
    await settle();
    // The queue emptied into a batch: there is room again.
    expect(submit(queue, { name: 'd' })).toBeInstanceOf(Promise);
    for (let round = 1; round < 4; round += 1) {
      manual.batches[round]?.succeed();
      await settle();
    }
    await Promise.all([large, ...waiting]);
  });

  it('retries the jobs of a failed batch one per batch, never more batches in flight than flushes_in_flight_max', async () => {
    const { queue, manual } = queueOf({ flushes_in_flight_max: 2, batch_size_max: 10 });
    const first = submit(queue, { name: 'x' });
    const second = submit(queue, { name: 'y' });
    const rest = Promise.allSettled(['a', 'b', 'c', 'd'].map((name) => submit(queue, { name })));
    expect(manual.names()).toEqual([['x'], ['y']]);
    manual.batches[0]?.succeed();
    await settle();
    expect(manual.names()[2]).toEqual(['a', 'b', 'c', 'd']);
    manual.batches[2]?.fail();
    await settle();
    // One slot is still held by y: the four retries go one at a time through the other.
    expect(manual.in_flight).toBe(2);
    expect(manual.names().slice(3)).toEqual([['a']]);
    manual.batches[1]?.succeed();
    await settle();
    expect(manual.names().slice(3)).toEqual([['a'], ['b']]);
    manual.batches[4]?.fail();
    for (let round = 3; round < 8; round += 1) {
      manual.batches[round]?.succeed();
      await settle();
    }
    expect(manual.in_flight_peak).toBe(2);
    expect(manual.names().slice(3)).toEqual([['a'], ['b'], ['c'], ['d']]);
    await expect(first).resolves.toBe('x ok');
    await expect(second).resolves.toBe('y ok');
    const settled = await rest;
    expect(settled.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
  });

  it('holds back only a job whose key is in a batch being formed or written, until that batch is done', async () => {
    const { queue, manual } = queueOf({ flushes_in_flight_max: 2, batch_size_max: 10 });
    const outcomes = [
      submit(queue, { name: 'k1', key: 'k' }),
      submit(queue, { name: 'busy' }),
      submit(queue, { name: 'k2', key: 'k' }),
      submit(queue, { name: 'a', key: 'other' }),
      submit(queue, { name: 'k3', key: 'k' }),
      submit(queue, { name: 'b' }),
    ];
    expect(manual.names()).toEqual([['k1'], ['busy']]);
    manual.batches[1]?.succeed();
    await settle();
    // k is still being written: its later jobs wait, the others leave without them.
    expect(manual.names()[2]).toEqual(['a', 'b']);
    manual.batches[0]?.succeed();
    await settle();
    expect(manual.names()[3]).toEqual(['k2']);
    manual.batches[2]?.succeed();
    manual.batches[3]?.succeed();
    await settle();
    expect(manual.names()[4]).toEqual(['k3']);
    manual.batches[4]?.succeed();
    await Promise.all(outcomes);
    expect(queue.depth).toEqual({ queued_jobs: 0, queued_transfers: 0, in_flight: 0 });
  });

  it('lets a small batch wait batch_wait_ms for company while another is written, on the injected timer', async () => {
    const timers: (() => void)[] = [];
    const { queue, manual } = queueOf({ flushes_in_flight_max: 2, batch_wait_ms: 5 }, timers);
    const outcomes = [submit(queue, { name: 'a' }), submit(queue, { name: 'b' })];
    expect(manual.names()).toEqual([['a']]);
    expect(timers).toHaveLength(1);
    outcomes.push(submit(queue, { name: 'c' }));
    expect(manual.names()).toEqual([['a']]);
    timers[0]?.();
    expect(manual.names()).toEqual([['a'], ['b', 'c']]);
    manual.batches[0]?.succeed();
    manual.batches[1]?.succeed();
    await Promise.all(outcomes);
  });

  it('drains: resolves once every job submitted has been answered', async () => {
    const { queue, manual } = queueOf();
    await queue.drain();
    const outcomes = [submit(queue, { name: 'a' }), submit(queue, { name: 'b' })];
    let drained = false;
    const drain = queue.drain().then(() => {
      drained = true;
    });
    manual.batches[0]?.succeed();
    await settle();
    expect(drained).toBe(false);
    manual.batches[1]?.succeed();
    await drain;
    await Promise.all(outcomes);
  });
});
