import type { Client, Queryable } from '../db/pool.js';

/** The objects whose events carry `facets` and are counted by currency: `purse_<object>s_total`. */
export const money_objects = ['transfer', 'payment', 'payout', 'refund'] as const;

/** What the sequencer knows of an event it numbered, enough to count it. */
export interface CountedEvent {
  readonly livemode: boolean;
  readonly type: string;
  readonly facets: Readonly<Record<string, string>> | null;
}

/**
 * Adds the events just sequenced to `event_counters`, in the sequencer's transaction: each
 * committed event is counted once, whichever process sequenced it. The labels come from the
 * events' clear `facets` (their payloads are sealed); events without them count by type alone.
 * They come from the sequencer's own RETURNING rather than a second read of `events` by id,
 * which on the partitioned table (migration 0036) would probe every partition for every id.
 */
export async function countEvents(db: Client, events: readonly CountedEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO event_counters AS c (livemode, type, currency, rail, failure_code, count)
     SELECT livemode, type, coalesce(facets->>'currency', ''), coalesce(facets->>'rail', ''),
            coalesce(facets->>'failure_code', ''), count(*)
       FROM json_to_recordset($1::json) AS e (livemode boolean, type text, facets json)
      GROUP BY 1, 2, 3, 4, 5
     ON CONFLICT (livemode, type, currency, rail, failure_code) DO UPDATE SET count = c.count + excluded.count`,
    [JSON.stringify(events.map(({ livemode, type, facets }) => ({ livemode, type, facets })))],
  );
}

export interface EventCount {
  readonly livemode: boolean;
  readonly type: string;
  readonly currency: string;
  readonly rail: string;
  readonly failure_code: string;
  /** A count, as PostgreSQL's bigint text. */
  readonly count: string;
}

/** Every counter row: a few hundred at most (types × modes × currencies × failure codes). */
export async function readEventCounts(db: Queryable): Promise<EventCount[]> {
  const result = await db.query<EventCount>(
    'SELECT livemode, type, currency, rail, failure_code, count FROM event_counters',
  );
  return result.rows;
}
