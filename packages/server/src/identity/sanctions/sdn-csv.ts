import { parse } from 'csv-parse/sync';

/**
 * Reads the US Treasury OFAC "SDN" list in its published CSV format (the same layout serves the
 * Consolidated Sanctions List, `cons_prim.csv`): no header row, one entry per line, twelve fields:
 *
 *   ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag,
 *   Vess_owner, Remarks
 *
 * Fields are quoted when they hold a comma, `-0-` means empty, and an individual's name is written
 * `LAST, First Middle`. Aliases come in a second file (`alt.csv`): ent_num, alt_num, alt_type,
 * alt_name, alt_remarks. The files may end with a DOS end-of-file character (0x1A). Pure: text in,
 * entries out, or the first line that does not fit.
 */

export type SanctionedKind = 'individual' | 'entity';

export interface SanctionedParty {
  /** ent_num: the entry's number on the list. */
  readonly entry_id: string;
  readonly kind: SanctionedKind;
  /** The primary name, then its aliases. */
  readonly names: readonly string[];
  readonly programs: readonly string[];
}

const empty_marker = '-0-';
const dos_end_of_file = String.fromCharCode(0x1a);
const sdn_fields = 12;
const alt_fields = 5;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; row: number; reason: string };

/** The list's individuals and entities (vessels and aircraft are not holders and are left out). */
export function parseSdnCsv(text: string, aliases_text = ''): ParseResult<SanctionedParty[]> {
  const rows = parseCsv(text);
  if (!rows.ok) return rows;
  const aliases = parseAliases(aliases_text);
  if (!aliases.ok) return aliases;
  const parties: SanctionedParty[] = [];
  for (const [index, row] of rows.value.entries()) {
    if (row.length !== sdn_fields)
      return { ok: false, row: index + 1, reason: `expected ${sdn_fields} fields, found ${row.length}` };
    const [entry_id = '', name = '', type = '', program = ''] = row.map(fieldValue);
    if (!/^\d+$/.test(entry_id)) return { ok: false, row: index + 1, reason: 'ent_num is not a number' };
    if (name === '') return { ok: false, row: index + 1, reason: 'SDN_Name is empty' };
    const kind = kindOf(type);
    if (kind === undefined) continue;
    parties.push({
      entry_id,
      kind,
      names: [name, ...(aliases.value.get(entry_id) ?? [])],
      programs: program
        .split(/[\]\s;]+/)
        .map((p) => p.replace('[', ''))
        .filter((p) => p !== ''),
    });
  }
  return { ok: true, value: parties };
}

function kindOf(sdn_type: string): SanctionedKind | undefined {
  if (sdn_type === 'individual') return 'individual';
  // Entities carry no type; vessels and aircraft say so.
  return sdn_type === '' ? 'entity' : undefined;
}

function parseAliases(text: string): ParseResult<Map<string, string[]>> {
  const rows = parseCsv(text);
  if (!rows.ok) return rows;
  const aliases = new Map<string, string[]>();
  for (const [index, row] of rows.value.entries()) {
    if (row.length !== alt_fields)
      return {
        ok: false,
        row: index + 1,
        reason: `alias: expected ${alt_fields} fields, found ${row.length}`,
      };
    const [entry_id = '', , , name = ''] = row.map(fieldValue);
    if (name === '') continue;
    aliases.set(entry_id, [...(aliases.get(entry_id) ?? []), name]);
  }
  return { ok: true, value: aliases };
}

function fieldValue(field: string): string {
  const trimmed = field.trim();
  return trimmed === empty_marker ? '' : trimmed;
}

/** RFC 4180 rows through csv-parse (as `purse import`), blank lines skipped, field counts left to the caller. */
export function parseCsv(text: string): ParseResult<string[][]> {
  const trimmed = text.trimEnd();
  const body = trimmed.endsWith(dos_end_of_file) ? trimmed.slice(0, -1) : trimmed;
  try {
    const rows: string[][] = parse(body, { relax_column_count: true, skip_empty_lines: true });
    return { ok: true, value: rows };
  } catch (error) {
    const { lines, message } = error as { lines?: number; message?: string };
    return { ok: false, row: lines ?? 0, reason: message ?? 'not CSV' };
  }
}
