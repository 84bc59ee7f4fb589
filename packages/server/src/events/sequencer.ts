import { type Client, inTransaction, type Pool } from '../db/pool.js';
import { queueDeliveries } from '../webhooks/delivery-queue.js';
import { type CountedEvent, countEvents } from './counters.js';

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
 * The sequencer's statements, exported so a test can read their plans.
 *
 * Why two statements and planner settings: the single `UPDATE ... FROM (batch subquery)` it
 * replaced let the planner choose the join order from the estimated number of unsequenced rows.
 * After an `ANALYZE` taken while the sequencer was keeping up, that estimate is one row, and the
 * planner re-ran the batch subquery once per unsequenced event: 19.9 s for one round over a backlog
 * of 243,038. Now no plan depends on that estimate:
 * - `pick` reads the oldest unsequenced events in seq order from `events_unsequenced` (the
 *   partition `position IS NULL` selects, migration 0042) and stops at the batch size. Sequential
 *   and bitmap scans are switched off for this transaction, as they would read the whole backlog
 *   before sorting it; an ordered index scan under a LIMIT reads the batch.
 * - `number` finds the picked events by their seqs (`seq = ANY`, an array whose length the
 *   planner knows): one probe of the partition's seq index per event, and no join whose order the
 *   planner could choose. A join with the picked array did depend on it: with the partition
 *   analyzed just after a round (its pages full of rows moved out, so "empty"), the planner read it
 *   whole and scanned the array once per row, 4,020,104 rows for a batch of 100. Each event's
 *   position is the largest one plus its place among the picked seqs, which are in seq order.
 *   Setting the position changes the partition key, so each row moves to its month's partition of
 *   `events_sequenced`: written there once, never updated.
 */
export const sequencing_statements = {
  settings:
    'SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off',
  pick: 'SELECT seq FROM events WHERE position IS NULL ORDER BY seq LIMIT $1',
  number: `UPDATE events e SET position = (SELECT coalesce(max(position), 0) FROM events) + array_position($1::bigint[], e.seq)
    WHERE e.seq = ANY($1::bigint[]) AND e.position IS NULL
    RETURNING e.id, e.livemode, e.type, e.object_id, e.position, e.facets`,
} as const;

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
      const events = await sequenceRound(db, batch_max);
      await queueDeliveries(db, events, now);
      await countEvents(db, events);
      return events.length;
    });
    total += count;
    if (count < batch_max) return total;
  }
}

/** Numbers up to `batch_max` of the oldest visible unsequenced events, in seq order. */
async function sequenceRound(db: Client, batch_max: number): Promise<(SequencedEvent & CountedEvent)[]> {
  await db.query(sequencing_statements.settings);
  const picked = await db.query<{ seq: string }>(sequencing_statements.pick, [batch_max]);
  if (picked.rows.length === 0) return [];
  const seqs = picked.rows.map((row) => row.seq);
  const numbered = await db.query<SequencedEvent & CountedEvent>(sequencing_statements.number, [seqs]);
  if (numbered.rows.length !== seqs.length) {
    throw new Error(`sequencer: picked ${seqs.length} events but numbered ${numbered.rows.length}`);
  }
  return numbered.rows.sort((a, b) => Number(BigInt(a.position) - BigInt(b.position)));
}
