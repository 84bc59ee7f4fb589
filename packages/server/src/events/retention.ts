import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { appendAudit, worker_actor } from '../audit/append.js';
import type { EventsConfig } from '../config.js';
import { type Client, inTransaction, type Pool } from '../db/pool.js';
import { type ExpectedLine, expectedLines } from './archive-copies.js';
import { type ArchiveLine, archiveMismatch, writeArchiveFile } from './archive-file.js';
import { type EventPartition, eventPartitions } from './partitions.js';

const day_ms = 86_400_000;
/** Rows read per query while writing an archive file. */
const archive_page_rows = 5_000;

export interface ArchiveOutcome {
  readonly archived: string[];
  /** Partitions old enough but kept for now, and why (unsequenced events, pending deliveries...). */
  readonly waiting: { readonly partition: string; readonly reason: string }[];
}

/**
 * Archives and drops every partition of `events` whose whole range is older than the retention
 * age; does nothing when no retention is configured. Each partition in one transaction: the file
 * is written and fsynced, read back and compared with the partition's rows (archiveMismatch),
 * recorded in `event_archives` and in the audit chain, and only then is the
 * partition detached and dropped (by migration 0036's events_drop_archived_partition, which checks
 * again that the archive holds exactly its rows and that nothing still needs them).
 */
export async function archiveOldEvents(pool: Pool, config: EventsConfig, now: Date): Promise<ArchiveOutcome> {
  const outcome: ArchiveOutcome = { archived: [], waiting: [] };
  if (config.retention_days === undefined) return outcome;
  const cutoff_ms = now.getTime() - config.retention_days * day_ms;
  const due = (await eventPartitions(pool)).filter((p) => p.range_end.getTime() <= cutoff_ms);
  if (due.length > 0) await mkdir(config.archive_dir, { recursive: true });
  for (const partition of due) {
    const reason = await inTransaction(pool, (db) =>
      archivePartition(db, config.archive_dir, partition, now),
    );
    if (reason === null) outcome.archived.push(partition.name);
    else outcome.waiting.push({ partition: partition.name, reason });
  }
  return outcome;
}

/** The archive file written for a partition did not read back as its events: nothing was dropped. */
export class ArchiveNotVerified extends Error {
  constructor(partition_name: string, reason: string) {
    super(`archive of ${partition_name} refused, the partition is kept: ${reason}`);
    this.name = 'ArchiveNotVerified';
  }
}

/** Archives one partition and drops it; returns null, or why it must wait. */
async function archivePartition(
  db: Client,
  archive_dir: string,
  partition: EventPartition,
  now: Date,
): Promise<string | null> {
  const table = (await db.query<{ quoted: string }>('SELECT quote_ident($1) AS quoted', [partition.name]))
    .rows[0]?.quoted;
  if (table === undefined) throw new Error('quote_ident returned nothing');
  // No write reaches the partition until this transaction ends (a backdated test clock could add one).
  await db.query(`LOCK TABLE ${table} IN SHARE MODE`);
  const blocked = await db.query<{ reason: string | null }>(
    'SELECT events_partition_blocked($1::regclass) AS reason',
    [partition.name],
  );
  const reason = blocked.rows[0]?.reason ?? null;
  if (reason !== null) return reason;
  const file_name = `${partition.name}.jsonl`;
  const summary = await writeArchiveFile(archive_dir, file_name, pagesOf(db, table));
  const mismatch = await archiveMismatch(path.join(archive_dir, file_name), summary, pagesOf(db, table));
  // Thrown, not waited on: the transaction rolls back and the partition stays, every event in it.
  if (mismatch !== null) throw new ArchiveNotVerified(partition.name, mismatch);
  await db.query(
    `INSERT INTO event_archives (partition_name, range_start, range_end, first_position, last_position,
       event_count, file_name, sha256, archived_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      partition.name,
      partition.range_start,
      partition.range_end,
      summary.first_position,
      summary.last_position,
      summary.event_count,
      file_name,
      summary.sha256,
      now,
    ],
  );
  // The audit entry's fields are fixed (audit/chain.ts); what the chain must vouch for, the
  // checksum and the positions, goes in its object reference.
  await appendAudit(db, [
    {
      livemode: true,
      actor: worker_actor,
      action: 'events.archived',
      object_id: archiveReference(file_name, summary.sha256, summary.first_position, summary.last_position),
      request_id: null,
      ip: null,
      outcome_status: 200,
      outcome_code: null,
      created_at: now,
    },
  ]);
  await db.query('SELECT events_drop_archived_partition($1)', [partition.name]);
  return null;
}

/** `events_p202601.jsonl sha256:<hex> positions:1-500` (or `positions:none` for an empty month). */
export function archiveReference(
  file_name: string,
  sha256: string,
  first_position: string | null,
  last_position: string | null,
): string {
  const positions = first_position === null ? 'none' : `${first_position}-${last_position}`;
  return `${file_name} sha256:${sha256} positions:${positions}`;
}

/**
 * The partition's rows in position order, a page per query (keyset on the unique position).
 * `e.position`, qualified: a bare ORDER BY position would sort by the output column, the text, and
 * page '1', '10', '100'... (archives of over one page were refused at the drop, until kill.test.ts).
 */
async function* pagesOf(db: Client, table: string): AsyncIterable<ExpectedLine[]> {
  let after = '0';
  for (;;) {
    const page = await db.query<ArchiveLine>(
      `SELECT position::text AS position, row_to_json(e)::text AS json
       FROM ${table} e WHERE e.position > $1 ORDER BY e.position LIMIT $2`,
      [after, archive_page_rows],
    );
    yield await expectedLines(db, page.rows);
    const last = page.rows[page.rows.length - 1];
    if (last === undefined || page.rows.length < archive_page_rows) return;
    after = last.position;
  }
}
