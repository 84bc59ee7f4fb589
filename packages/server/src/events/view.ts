import type { Static } from '@sinclair/typebox';
import { openJson } from '../crypto/keyring.js';
import type { EventType } from './catalogue.js';
import type { Event } from './schemas.js';

export type EventView = Static<typeof Event>;

export interface EventRow {
  seq: string;
  id: string;
  livemode: boolean;
  type: EventType;
  object_id: string;
  /** The object as the API returned it, sealed (a JSON string; rows from before sealing are plain). */
  data: string | ({ id: string; object: string } & Record<string, unknown>);
  created_at: Date;
  /** Commit order, once sequenced; a decimal string (bigint). */
  position: string | null;
}

export function eventView(row: EventRow): EventView {
  return {
    id: row.id,
    object: 'event',
    type: row.type,
    livemode: row.livemode,
    created_at: row.created_at.toISOString(),
    data: { object: openJson('personal', row.data) },
  };
}
