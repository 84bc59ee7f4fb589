import { readFileSync } from 'node:fs';
import { prepareList, type SanctionsList } from './screen.js';
import { parseSdnCsv } from './sdn-csv.js';

export interface SanctionsListPaths {
  /** An OFAC SDN (or Consolidated) list in its CSV format: `sdn.csv`, `cons_prim.csv`. */
  readonly list_path: string;
  /** Its aliases (`alt.csv`), if any. */
  readonly aliases_path: string | undefined;
}

/** Lists read by this process, by their paths: the routes that screen share one copy. */
const loaded = new Map<string, SanctionsList>();

/**
 * Reads the configured list once, at start. A list that is missing or does not parse stops the
 * start with the reason: screening against nothing would clear everyone.
 */
export function loadSanctionsList(paths: SanctionsListPaths): SanctionsList {
  const key = `${paths.list_path}\n${paths.aliases_path ?? ''}`;
  const known = loaded.get(key);
  if (known !== undefined) return known;
  const list = readSanctionsList(paths);
  loaded.set(key, list);
  return list;
}

function readSanctionsList(paths: SanctionsListPaths): SanctionsList {
  const text = readList(paths.list_path);
  const aliases = paths.aliases_path === undefined ? '' : readList(paths.aliases_path);
  const parsed = parseSdnCsv(text, aliases);
  if (!parsed.ok)
    throw new Error(
      `The sanctions list ${paths.list_path} cannot be read: row ${parsed.row}, ${parsed.reason}.`,
    );
  if (parsed.value.length === 0) throw new Error(`The sanctions list ${paths.list_path} lists nobody.`);
  return prepareList(parsed.value);
}

function readList(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`The sanctions list ${path} cannot be opened: ${(error as Error).message}`);
  }
}
