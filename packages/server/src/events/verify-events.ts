import type { Queryable } from '../db/pool.js';

export interface EventViolation {
  readonly check: 'event_positions' | 'event_ids';
  readonly subject: string;
  readonly detail: string;
}

export interface EventsVerified {
  readonly violations: EventViolation[];
  /** Every position up to this one is held once, by the table or an archive (a decimal string). */
  readonly position_through: string;
}

/**
 * What `events` no longer enforces in one index since it is partitioned (migration 0036): each
 * partition has its own unique index on id and on position, and these check across partitions.
 * Positions must also run 1, 2, 3... without a gap, counting the archived ones: the events still
 * here plus those in archive files make up exactly 1..max.
 *
 * With `since` (the position a trusted checkpoint verified through), only what came after it is
 * read: positions above it, and the ids of events numbered above it or not yet numbered, each
 * probed in the other partitions. Without it, or when an archive straddles it, the whole table.
 */
export async function verifyEvents(db: Queryable, since?: string | null): Promise<EventsVerified> {
  const after = since !== undefined && since !== null && !(await archiveStraddles(db, since)) ? since : null;
  const fresh = await freshByPartition(db, after ?? '0');
  const violations: EventViolation[] = [];
  for (const position of await repeatedPositions(db, after ?? '0', fresh)) {
    violations.push({
      check: 'event_positions',
      subject: `position ${position}`,
      detail: 'held by two events',
    });
  }
  for (const row of await repeatedIds(db, after, fresh)) {
    violations.push({ check: 'event_ids', subject: row.id, detail: 'two events have this id' });
  }
  const span = await db.query<{ archived: string; top: string }>(
    `SELECT (SELECT coalesce(sum(event_count), 0) FROM event_archives WHERE first_position > $1::bigint)::text AS archived,
       (greatest((SELECT max(position) FROM events), (SELECT max(last_position) FROM event_archives), $1::bigint) - $1::bigint)::text AS top`,
    [after ?? '0'],
  );
  const { archived = '0', top = '0' } = span.rows[0] ?? {};
  const numbered = fresh.reduce((sum, partition) => sum + BigInt(partition.numbered), BigInt(archived));
  const through = (BigInt(after ?? '0') + BigInt(top)).toString();
  if (numbered !== BigInt(top)) {
    violations.push({
      check: 'event_positions',
      subject: `positions ${BigInt(after ?? '0') + 1n}..${through}`,
      detail: `${numbered} events hold them (in the table and the archives): a gap or a repeat`,
    });
  }
  return { violations, position_through: through };
}

/** Per partition, the events numbered after a position or not numbered yet: counts and ranges. */
interface FreshEvents {
  readonly partition: string;
  readonly numbered: string;
  readonly first_position: string | null;
  readonly last_position: string | null;
  readonly first_id: string;
  readonly last_id: string;
}

/**
 * One read of the new events, grouped by partition (each has its own unique indexes). Two branches,
 * not `position > $1 OR position IS NULL`: the months have no index on a missing position (those
 * events are all in events_unsequenced, migration 0042), so the OR read every month whole.
 */
async function freshByPartition(db: Queryable, after: string): Promise<FreshEvents[]> {
  const result = await db.query<FreshEvents>(
    `SELECT tableoid::regclass::text AS partition, count(position)::text AS numbered,
       min(position)::text AS first_position, max(position)::text AS last_position,
       min(id) AS first_id, max(id) AS last_id
     FROM (SELECT tableoid, position, id FROM events WHERE position > $1::bigint
           UNION ALL
           SELECT tableoid, position, id FROM events WHERE position IS NULL) fresh
     GROUP BY tableoid`,
    [after],
  );
  return result.rows;
}

/**
 * Positions after `after` held by two events. Each partition's unique index on position refuses a
 * second one within it, so a repeat needs two partitions whose new positions overlap: only then
 * are the positions grouped (usually every new event is in the current month's partition).
 */
async function repeatedPositions(
  db: Queryable,
  after: string,
  fresh: readonly FreshEvents[],
): Promise<string[]> {
  const ranges = fresh
    .flatMap(({ first_position: first, last_position: last }) =>
      first === null || last === null ? [] : [[BigInt(first), BigInt(last)] as const],
    )
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const overlap = ranges.some((range, index) => index > 0 && range[0] <= (ranges[index - 1]?.[1] ?? 0n));
  if (!overlap) return [];
  const repeated = await db.query<{ position: string }>(
    `SELECT position::text FROM events WHERE position > $1::bigint
     GROUP BY position HAVING count(*) > 1 ORDER BY position LIMIT 10`,
    [after],
  );
  return repeated.rows.map((row) => row.position);
}

/** An archive holding positions on both sides of `since`: the count above it cannot be split. */
async function archiveStraddles(db: Queryable, since: string): Promise<boolean> {
  const found = await db.query(
    'SELECT 1 FROM event_archives WHERE first_position <= $1::bigint AND last_position > $1::bigint LIMIT 1',
    [since],
  );
  return (found.rowCount ?? 0) > 0;
}

/**
 * Ids held by two events of one mode. From the start, a GROUP BY over the table; after a position,
 * the new events' ids looked up in the other partitions (repeatedIdsSince; each partition's own
 * unique index on (livemode, id) already refuses a second one there).
 */
async function repeatedIds(
  db: Queryable,
  after: string | null,
  fresh: readonly FreshEvents[],
): Promise<{ id: string }[]> {
  if (after === null)
    return (
      await db.query<{ id: string }>(
        'SELECT id FROM events GROUP BY livemode, id HAVING count(*) > 1 LIMIT 10',
      )
    ).rows;
  return repeatedIdsSince(db, after, fresh);
}

/** The partition of the events not numbered yet (migration 0042). */
const unnumbered_partition = 'events_unsequenced';

/**
 * The new events' ids (numbered after `after`, or not yet numbered) that another partition holds
 * too, in the same mode. Per partition with new events, each other partition is first probed for
 * any id in the new ids' range, from its unique index on (livemode, id), once per mode: ids begin
 * with their time, so an older month's partition holds nothing there and costs two index seeks,
 * and the check follows the new events, not the table (a semi-join over all ids read every id of
 * every partition: 355 ms at 200,000 events). Only a partition with ids in the range is compared.
 */
async function repeatedIdsSince(
  db: Queryable,
  after: string,
  fresh: readonly FreshEvents[],
): Promise<{ id: string }[]> {
  const partitions = await db.query<{ partition: string }>(
    `SELECT relid::text AS partition FROM pg_partition_tree('events') WHERE isleaf`,
  );
  // Every row of events_unsequenced is unnumbered (its partition bound), so the fresh read counted
  // them all: with none there, no id can repeat in it, and its index, full of the entries of events
  // moved out since the last vacuum, need not be walked over the new ids' range.
  const waiting = fresh.some((news) => news.partition === unnumbered_partition);
  const probed = partitions.rows.filter((row) => waiting || row.partition !== unnumbered_partition);
  const found: { id: string }[] = [];
  for (const news of fresh) {
    for (const other of probed.filter((row) => row.partition !== news.partition)) {
      // Names from the catalog, quoted by regclass.
      const overlaps = await db.query(
        `SELECT 1 FROM ${other.partition} WHERE livemode = ANY ('{false,true}') AND id BETWEEN $1 AND $2 LIMIT 1`,
        [news.first_id, news.last_id],
      );
      if ((overlaps.rowCount ?? 0) > 0) found.push(...(await idsInBoth(db, news, other.partition, after)));
    }
  }
  return found.slice(0, 10);
}

/**
 * The ids in both partitions over a range, as an INTERSECT: a set operation reads each side once
 * whatever the estimates. A join let the planner, trusting statistics taken before the new events
 * came, scan the other partition's whole range once per new event (19 s for 100,000 events).
 */
async function idsInBoth(
  db: Queryable,
  fresh: FreshEvents,
  other: string,
  after: string,
): Promise<{ id: string }[]> {
  const both = await db.query<{ id: string }>(
    `SELECT id FROM (
       SELECT livemode, id FROM ${fresh.partition}
       WHERE livemode = ANY ('{false,true}') AND id BETWEEN $2 AND $3 AND (position > $1::bigint OR position IS NULL)
       INTERSECT
       SELECT livemode, id FROM ${other} WHERE livemode = ANY ('{false,true}') AND id BETWEEN $2 AND $3
     ) repeated LIMIT 10`,
    [after, fresh.first_id, fresh.last_id],
  );
  return both.rows;
}
