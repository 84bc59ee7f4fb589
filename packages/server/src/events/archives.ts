import { decodeTime } from 'ulidx';
import type { Queryable } from '../db/pool.js';
import { type DomainError, domainError } from '../shared/errors.js';

export interface EventArchive {
  readonly partition_name: string;
  readonly file_name: string;
  readonly sha256: string;
  readonly range_start: Date | null;
  readonly range_end: Date;
}

/**
 * The archive that took the event with this id, if any. No list of archived ids is kept: an
 * event id is a ULID whose first 48 bits are its creation time (shared/ids.ts), and archives are
 * whole months of creation time, so the id alone says which archive would hold it. (An id minted
 * with a clock a few milliseconds ahead of its event's created_at could name the neighbouring
 * month only at a month's very edge.)
 */
export async function archiveOfEvent(db: Queryable, event_id: string): Promise<EventArchive | undefined> {
  const created_ms = idTime(event_id);
  if (created_ms === undefined) return undefined;
  const found = await db.query<EventArchive>(
    `SELECT partition_name, file_name, sha256, range_start, range_end FROM event_archives
     WHERE (range_start IS NULL OR range_start <= $1) AND range_end > $1
     ORDER BY range_end LIMIT 1`,
    [new Date(created_ms)],
  );
  return found.rows[0];
}

export function eventArchived(event_id: string, archive: EventArchive): DomainError {
  return domainError(
    'event_archived',
    `Event "${event_id}" was created before ${archive.range_end.toISOString()}, a period archived to ` +
      `${archive.file_name} (sha256 ${archive.sha256}) and dropped from the database.`,
  );
}

function idTime(event_id: string): number | undefined {
  const ulid = event_id.startsWith('evt_') ? event_id.slice(4) : '';
  try {
    return decodeTime(ulid);
  } catch {
    return undefined;
  }
}
