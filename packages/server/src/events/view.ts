import type { Static } from '@sinclair/typebox';
import { openJson } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { transferViewsAsCreated } from '../transfers/views-as-created.js';
import type { EventType } from './catalogue.js';
import type { Event } from './schemas.js';

export type EventView = Static<typeof Event>;

export interface EventRow {
  seq: string;
  id: string;
  livemode: boolean;
  type: EventType;
  object_id: string;
  /**
   * The object as the API returned it, sealed (a JSON string; rows from before sealing are plain);
   * null where the event refers to its transfer (migration 0046): `withData` renders it.
   */
  data: string | ({ id: string; object: string } & Record<string, unknown>) | null;
  created_at: Date;
  /** Commit order, once sequenced; a decimal string (bigint). */
  position: string | null;
}

/**
 * The rows, each with its data: an event that refers to its transfer gets the transfer's view as
 * created (one query per mode for all of them). Every reader of events passes its rows here before
 * `eventView`.
 */
export async function withData(db: Queryable, rows: readonly EventRow[]): Promise<EventRow[]> {
  const filled = [...rows];
  for (const livemode of [false, true]) {
    const indexes = rows.flatMap((row, index) =>
      row.data === null && row.livemode === livemode ? [index] : [],
    );
    if (indexes.length === 0) continue;
    const ids = indexes.map((index) => rows[index]?.object_id ?? '');
    const views = await transferViewsAsCreated(db, livemode, ids);
    for (const index of indexes) {
      const row = rows[index];
      const view = views.get(row?.object_id ?? '');
      assert(row !== undefined && view !== undefined, `the transfer event ${row?.id} refers to is kept`);
      filled[index] = { ...row, data: view };
    }
  }
  return filled;
}

export function eventView(row: EventRow): EventView {
  assert(row.data !== null, `event ${row.id} has its data (withData)`);
  return {
    id: row.id,
    object: 'event',
    type: row.type,
    livemode: row.livemode,
    created_at: row.created_at.toISOString(),
    data: { object: openJson('personal', row.data) },
  };
}
