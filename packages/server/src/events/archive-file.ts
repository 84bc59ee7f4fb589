import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** What an archive file holds, as recorded in `event_archives` and the audit chain. */
export interface ArchiveSummary {
  readonly event_count: number;
  /** Decimal strings (bigint): the smallest and largest position written; null when empty. */
  readonly first_position: string | null;
  readonly last_position: string | null;
  /** SHA-256 of the file's bytes, lowercase hex. */
  readonly sha256: string;
}

/** One line: an event row exactly as PostgreSQL's row_to_json renders it, and its position. */
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
  pages: AsyncIterable<readonly ArchiveLine[]>,
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
      const bytes = Buffer.from(page.map((line) => `${line.json}\n`).join(''), 'utf8');
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
