import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type ExpectedLine, lineMatches, lineToWrite } from './archive-copies.js';

/** What an archive file holds, as recorded in `event_archives` and the audit chain. */
export interface ArchiveSummary {
  readonly event_count: number;
  /** Decimal strings (bigint): the smallest and largest position written; null when empty. */
  readonly first_position: string | null;
  readonly last_position: string | null;
  /** SHA-256 of the file's bytes, lowercase hex. */
  readonly sha256: string;
}

/**
 * One line: an event row exactly as PostgreSQL's row_to_json renders it, and its position (an
 * event stored without its copy gets one in its line: archive-copies.ts).
 */
export interface ArchiveLine {
  readonly position: string;
  readonly json: string;
}

/**
 * Writes the lines to `<dir>/<file_name>` and returns what they hold. The bytes go to a temporary
 * name first, are fsynced, then renamed and the directory fsynced, so a crash leaves either no file
 * under the final name or a complete one (a rerun rewrites it: nothing records it until then).
 */
export async function writeArchiveFile(
  dir: string,
  file_name: string,
  pages: AsyncIterable<readonly ExpectedLine[]>,
): Promise<ArchiveSummary> {
  const final_path = path.join(dir, file_name);
  const temporary_path = `${final_path}.partial`;
  const hash = createHash('sha256');
  const file = await open(temporary_path, 'w', 0o600);
  let event_count = 0;
  let first_position: string | null = null;
  let last_position: string | null = null;
  try {
    for await (const page of pages) {
      if (page.length === 0) continue;
      const bytes = Buffer.from(page.map((line) => `${lineToWrite(line)}\n`).join(''), 'utf8');
      hash.update(bytes);
      await file.write(bytes);
      event_count += page.length;
      first_position ??= page[0]?.position ?? null;
      last_position = page[page.length - 1]?.position ?? last_position;
    }
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary_path, final_path);
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
  return { event_count, first_position, last_position, sha256: hash.digest('hex') };
}

/**
 * Reads the file back from disk and compares it with the rows it was written from, read again:
 * every line equal to its row, no line more or less, and the SHA-256 of the bytes read equal to
 * the one computed while writing. Returns why they differ, or null. Retention runs it before it
 * records the archive and drops the partition, so a file the disk did not keep as written (or that
 * something changed meanwhile) never replaces the events.
 */
export async function archiveMismatch(
  file_path: string,
  written: ArchiveSummary,
  pages: AsyncIterable<readonly ExpectedLine[]>,
): Promise<string | null> {
  const name = path.basename(file_path);
  const lines = archiveLines(file_path)[Symbol.asyncIterator]();
  let line_number = 0;
  for await (const page of pages) {
    for (const row of page) {
      const line = await lines.next();
      line_number += 1;
      if (line.done) return `${name} ends at line ${line_number}; the partition has more events`;
      if (!lineMatches(line.value, row)) return `${name} line ${line_number} differs from the event stored`;
    }
  }
  const extra = await lines.next();
  await lines.return?.();
  if (!extra.done) return `${name} has more lines than the partition has events`;
  if (line_number !== written.event_count)
    return `${line_number} events read back; ${written.event_count} written`;
  // Equal lines could still differ in bytes the line reader drops (a carriage return, a last line
  // without its newline): the whole file's hash settles it.
  if ((await fileSha256(file_path)) !== written.sha256)
    return `${name} does not have the sha256 computed while writing it`;
  return null;
}

/** The SHA-256 of a file's bytes, read as a stream (an archive may be larger than memory). */
export async function fileSha256(file_path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file_path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The file's lines, one event row as JSON each, read as a stream. */
export function archiveLines(file_path: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file_path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
}
