import { viewsWithScale } from '../assets/scaled-views.js';
import { sealCompressed } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { skippedForBench } from '../shared/bench-skips.js';
import { newId } from '../shared/ids.js';
import { type EventType, isEventType } from './catalogue.js';
import { money_objects } from './counters.js';

/** A state change to record: `data` is the changed object exactly as the API returns it. */
export interface NewEvent {
  readonly livemode: boolean;
  readonly type: EventType;
  readonly data: { readonly id: string; readonly object: string } & Record<string, unknown>;
  /**
   * Store no copy of `data`: the event refers to its object, whose view as created readers render
   * (migration 0046; `withData` in events/view.ts). Only for `transfer.posted` of a transfer that
   * holds nothing, which never changes afterwards but for its refunded amounts.
   */
  readonly by_reference?: true;
}

/**
 * Writes events, each payload compressed and sealed (crypto/keyring.ts), with one multi-row INSERT inside the caller's transaction (the transactional
 * outbox): they commit or roll back with the change they describe. Ids are time-sortable `evt_`
 * ids; the order the stream and webhooks follow is assigned later by the sequencer, in commit order.
 */
export async function recordEvents(db: Queryable, events: readonly NewEvent[], now: Date): Promise<void> {
  if (events.length === 0 || skippedForBench('events')) return;
  for (const event of events) {
    assert(isEventType(event.type), `event type ${event.type} is in the catalogue`);
    assert(event.data.id.length > 0, `a ${event.type} event names its object`);
    assert(
      event.by_reference !== true ||
        (event.type === 'transfer.posted' && event.data.object === 'transfer' && event.data.hold === false),
      'only a transfer posted at once is referred to',
    );
  }
  // The data go as one JSON array, not a json[]: node-postgres writes an array parameter as an
  // array literal, escaping every quote of every element and measuring the result again, which was
  // most of this statement's time for a billing batch (4,000 invoice and subscription views: 480 ms
  // of 1,000 renewals' 1,050). ROWS FROM pairs the n-th element with the n-th id, and
  // json_array_elements hands each element back as its own text, so the rows are as before.
  await db.query(
    `INSERT INTO events (id, livemode, type, object_id, data, created_at, facets)
     SELECT id, livemode, type, object_id, CASE WHEN json_typeof(data) = 'null' THEN NULL ELSE data END, $6, facets::json
     FROM ROWS FROM (unnest($1::text[]), unnest($2::boolean[]), unnest($3::text[]), unnest($4::text[]),
       json_array_elements($5::json), unnest($7::text[])) AS e (id, livemode, type, object_id, data, facets)`,
    [
      events.map(() => newId('event', now.getTime())),
      events.map((event) => event.livemode),
      events.map((event) => event.type),
      events.map((event) => event.data.id),
      // Sealed: an object's view may carry personal data (a holder's name and email); eventView opens it.
      // Compressed first, as ciphertext does not compress: a transfer's view goes from 516 bytes to
      // about 120 (events written before this are not, and open as they are).
      // An event by reference stores none (JSON null, SQL NULL in the row).
      JSON.stringify(
        events.map((event) =>
          event.by_reference === true ? null : sealCompressed('personal', JSON.stringify(event.data)),
        ),
      ),
      now,
      events.map((event) => facetsOf(event.data)),
    ],
  );
}

/** The labels a money event's metrics count it by (migration 0034), never personal; null for other events. */
const facet_fields = ['currency', 'rail', 'failure_code'] as const;

function facetsOf(data: NewEvent['data']): string | null {
  if (!(money_objects as readonly string[]).includes(data.object)) return null;
  const facets: Record<string, string> = {};
  for (const field of facet_fields) {
    const value = data[field];
    if (typeof value === 'string') facets[field] = value;
  }
  return JSON.stringify(facets);
}

/** One event for an object the API just returned; the object's own `livemode` gives the mode. */
export function eventOf(
  type: EventType,
  data: { readonly id: string; readonly object: string; readonly livemode: boolean },
): NewEvent {
  return { livemode: data.livemode, type, data: { ...data } };
}

/** Records one event for each row, rendered as the API returns it (with its asset's scale). */
export async function recordRowEvents<
  Row extends { asset: string; livemode: boolean },
  View extends NewEvent['data'] & { livemode: boolean },
>(
  db: Queryable,
  rows: readonly Row[],
  view: (row: Row, scale: number) => View,
  type: (view: View) => EventType,
  now: Date,
): Promise<void> {
  if (rows.length === 0) return;
  const events: NewEvent[] = [];
  for (const row of rows) {
    const [rendered] = await viewsWithScale(db, row.livemode, [row], view);
    assert(rendered !== undefined, 'a money object has a known asset');
    events.push(eventOf(type(rendered), rendered));
  }
  await recordEvents(db, events, now);
}
