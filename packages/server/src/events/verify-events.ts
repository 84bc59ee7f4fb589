import type { Queryable } from '../db/pool.js';

export interface EventViolation {
  readonly check: 'event_positions' | 'event_ids';
  readonly subject: string;
  readonly detail: string;
}

/**
 * What `events` no longer enforces in one index since it is partitioned (migration 0036): each
 * partition has its own unique index on id and on position, and these check across partitions.
 * Positions must also run 1, 2, 3... without a gap, counting the archived ones: the events still
 * here plus those in archive files make up exactly 1..max. Both read the whole table.
 */
export async function verifyEvents(db: Queryable): Promise<EventViolation[]> {
  const violations: EventViolation[] = [];
  const repeated = await db.query<{ position: string }>(
    'SELECT position::text FROM events WHERE position IS NOT NULL GROUP BY position HAVING count(*) > 1 LIMIT 10',
  );
  for (const row of repeated.rows) {
    violations.push({
      check: 'event_positions',
      subject: `position ${row.position}`,
      detail: 'held by two events',
    });
  }
  const ids = await db.query<{ id: string }>(
    'SELECT id FROM events GROUP BY id HAVING count(*) > 1 LIMIT 10',
  );
  for (const row of ids.rows) {
    violations.push({ check: 'event_ids', subject: row.id, detail: 'two events have this id' });
  }
  const span = await db.query<{ numbered: string; top: string }>(
    `SELECT ((SELECT count(position) FROM events) + (SELECT coalesce(sum(event_count), 0) FROM event_archives))::text AS numbered,
       greatest((SELECT max(position) FROM events), (SELECT max(last_position) FROM event_archives), 0)::text AS top`,
  );
  const { numbered = '0', top = '0' } = span.rows[0] ?? {};
  if (numbered !== top) {
    violations.push({
      check: 'event_positions',
      subject: `positions 1..${top}`,
      detail: `${numbered} events hold them (in the table and the archives): a gap or a repeat`,
    });
  }
  return violations;
}
