import { inTransaction, type Pool } from '../db/pool.js';
import { queueDeliveries } from './delivery-queue.js';

/** Any constant; it only has to differ from Purse's other advisory locks. */
const sequencer_lock_id = 7_270_185_003;

export interface SequencedEvent {
  readonly id: string;
  readonly livemode: boolean;
  readonly type: string;
  readonly object_id: string;
  readonly position: string;
}

/**
 * Gives newly committed events their `position`, the order the stream and webhooks follow, and
 * queues their webhook deliveries, in one transaction.
 *
 * Why not the insertion sequence: `seq` is allocated when a row is written, so a transaction that
 * took seq 10 may commit after one that took seq 11. A reader that had already moved its cursor
 * past 11 would skip 10 forever. Instead, one sequencer at a time (a transaction-level advisory
 * lock, held until commit) numbers the events it can see, continuing from the largest position.
 * An event is numbered only once visible, and sequencer transactions commit in the order they
 * number, so positions become visible in increasing order with no gaps: `position > cursor`
 * never skips, and `max(position)` is a safe horizon. Each object's events keep their order too:
 * a second change to an object waits for the first one's row lock, so it is written (larger seq)
 * and committed after it, and is numbered in the same round after it, or in a later round.
 *
 * Returns how many events were sequenced; 0 when another process holds the sequencer.
 */
export async function sequenceEvents(pool: Pool, batch_max: number, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const count = await inTransaction(pool, async (db) => {
      const lock = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        sequencer_lock_id,
      ]);
      if (lock.rows[0]?.locked !== true) return 0;
      const sequenced = await db.query<SequencedEvent>(
        `WITH batch AS (
           SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM events WHERE position IS NULL ORDER BY seq LIMIT $1
         ), base AS (SELECT coalesce(max(position), 0) AS top FROM events)
         UPDATE events e SET position = base.top + batch.n FROM batch, base WHERE e.seq = batch.seq AND e.position IS NULL
         RETURNING e.id, e.livemode, e.type, e.object_id, e.position`,
        [batch_max],
      );
      const events = sequenced.rows.sort((a, b) => Number(BigInt(a.position) - BigInt(b.position)));
      await queueDeliveries(db, events, now);
      return events.length;
    });
    total += count;
    if (count < batch_max) return total;
  }
}
