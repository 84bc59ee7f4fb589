import { isDeepStrictEqual } from 'node:util';
import { openJson, sealCompressed } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import type { ArchiveLine } from './archive-file.js';
import { type EventRow, withData } from './view.js';

/**
 * An archived event's line, and for an event stored without its copy (migration 0046) the copy
 * its line must carry instead: an archive holds every payload itself, sealed as in the table, so
 * it replays without the database's transfers.
 */
export interface ExpectedLine extends ArchiveLine {
  readonly copy?: unknown;
}

/**
 * The rows of a page as an archive expects them: each row's `row_to_json` text, and the object an
 * event without its copy shows (one query for the page).
 */
export async function expectedLines(db: Queryable, page: readonly ArchiveLine[]): Promise<ExpectedLine[]> {
  // Only a line with `"data":null` can be one (parsed to be sure: a plain payload of before sealing
  // may hold that text further on); the others, nearly all, are not parsed.
  const uncopied = page.flatMap((line, index) => {
    if (!line.json.includes('"data":null')) return [];
    const row = JSON.parse(line.json) as Omit<EventRow, 'created_at'> & { created_at: string };
    return row.data === null ? [{ index, row: { ...row, created_at: new Date(row.created_at) } }] : [];
  });
  if (uncopied.length === 0) return [...page];
  const filled = await withData(
    db,
    uncopied.map(({ row }) => row),
  );
  const copies = new Map(uncopied.map(({ index }, n) => [index, filled[n]?.data]));
  return page.map((line, index) => (copies.has(index) ? { ...line, copy: copies.get(index) } : line));
}

/**
 * The line to write: the row's own text, or for an event without its copy that text with the
 * copy sealed in place of its `"data":null` (the first one: `data` comes before any column whose
 * text the event's writer chose, and a quote inside a JSON string is escaped).
 */
export function lineToWrite(expected: ExpectedLine): string {
  if (expected.copy === undefined) return expected.json;
  const sealed = JSON.stringify(sealCompressed('personal', JSON.stringify(expected.copy)));
  assert(expected.json.includes('"data":null'), 'an event without its copy has "data":null');
  return expected.json.replace('"data":null', `"data":${sealed}`);
}

/**
 * Whether a line read back from an archive is the one `expected` asks for. A damaged line may not
 * parse, or its copy not open: it does not match.
 */
export function lineMatches(line: string, expected: ExpectedLine): boolean {
  if (expected.copy === undefined) return line === expected.json;
  try {
    const data = (JSON.parse(line) as { data?: unknown }).data;
    return (
      typeof data === 'string' &&
      line.replace(`"data":${JSON.stringify(data)}`, '"data":null') === expected.json &&
      isDeepStrictEqual(openJson('personal', data), expected.copy)
    );
  } catch {
    return false;
  }
}
