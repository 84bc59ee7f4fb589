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
 * - `pick` reads the oldest unsequenced events in `events_unsequenced` order and stops at the
 *   batch size. Sequential and bitmap scans are switched off for this transaction, as they would
 *   read the whole backlog before sorting it; an ordered index scan under a LIMIT reads the batch.
 * - `number` joins the picked ids (an array whose length the planner knows) to `events` by id: a
 *   nested loop of one index probe per id. `events` is partitioned by month of `created_at`
 *   (migration 0036) and each partition has its own unique index on id, so the picked creation
 *   times go along: the executor prunes the partitions per id and probes one index, not one per
 *   partition. It has no `position IS NULL` condition, which
 *   would tempt the planner back to the unsequenced index and its estimate (the advisory lock means
 *   no one else numbers these rows, and the immutability trigger refuses a second number anyway).
 *   Hash and merge joins are off too: a partition analyzed while empty looks free to read whole,
 *   and the planner then hashed the batch and read every partition's id index end to end (40,408
 *   rows for a batch of 100 over 20,000 events), which a nested loop never does.
 */
export const sequencing_statements = {
  settings:
    'SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off',
  // created_at as text: a JS Date would drop its microseconds, and the join would then miss the row.
  pick: 'SELECT id, created_at::text AS created_at FROM events WHERE position IS NULL ORDER BY seq LIMIT $1',
  number: `UPDATE events e SET position = (SELECT coalesce(max(position), 0) FROM events) + picked.n
    FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS picked(id, created_at, n)
    WHERE e.id = picked.id AND e.created_at = picked.created_at
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
  const picked = await db.query<{ id: string; created_at: string }>(sequencing_statements.pick, [batch_max]);
  if (picked.rows.length === 0) return [];
  const ids = picked.rows.map((row) => row.id);
  const numbered = await db.query<SequencedEvent & CountedEvent>(sequencing_statements.number, [
    ids,
    picked.rows.map((row) => row.created_at),
  ]);
  if (numbered.rows.length !== ids.length) {
    throw new Error(`sequencer: picked ${ids.length} events but numbered ${numbered.rows.length}`);
  }
  return numbered.rows.sort((a, b) => Number(BigInt(a.position) - BigInt(b.position)));
}
