import path from 'node:path';
import type { Queryable } from '../db/pool.js';
import { archiveLines, fileSha256 } from './archive-file.js';
import { archiveReference } from './retention.js';
import { type EventRow, type EventView, eventView } from './view.js';

export type ReplayResult =
  | { readonly ok: true; readonly event_count: number; readonly sha256: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads an archive back: checks that the file is the one recorded (its name in `event_archives`,
 * its SHA-256 equal to the recorded one, and the audit chain's sealed `events.archived` entry
 * naming that checksum), then hands each event, in position order, to `emit` as the API showed
 * it (GET /v1/events/:id), the payload opened with the process's data keys.
 */
export async function replayArchive(
  db: Queryable,
  file_path: string,
  emit: (event: EventView) => void | Promise<void>,
): Promise<ReplayResult> {
  const file_name = path.basename(file_path);
  const recorded = await db.query<{
    sha256: string;
    first_position: string | null;
    last_position: string | null;
    sealed: boolean;
  }>(
    `SELECT a.sha256, a.first_position::text, a.last_position::text,
       EXISTS (SELECT 1 FROM audit_logs l WHERE l.action = 'events.archived' AND l.seq IS NOT NULL
               AND l.object_id = $2 || ' sha256:' || a.sha256 || ' positions:' ||
                 coalesce(a.first_position || '-' || a.last_position, 'none')) AS sealed
     FROM event_archives a WHERE a.file_name = $1`,
    [file_name, file_name],
  );
  const archive = recorded.rows[0];
  if (archive === undefined) return { ok: false, reason: `no archive named ${file_name} is recorded` };
  const sha256 = await fileSha256(file_path);
  if (sha256 !== archive.sha256) {
    return { ok: false, reason: `${file_name} has sha256 ${sha256}; the archive recorded ${archive.sha256}` };
  }
  if (!archive.sealed) {
    const reference = archiveReference(file_name, sha256, archive.first_position, archive.last_position);
    return { ok: false, reason: `the audit chain has no sealed entry for "${reference}" yet` };
  }
  let event_count = 0;
  for await (const line of archiveLines(file_path)) {
    if (line.length === 0) continue;
    const row = JSON.parse(line) as Omit<EventRow, 'created_at'> & { created_at: string };
    await emit(eventView({ ...row, created_at: new Date(row.created_at) }));
    event_count += 1;
  }
  return { ok: true, event_count, sha256 };
}
