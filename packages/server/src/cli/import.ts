import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { amount_minor_max, formatAmount, parseAmount } from '../shared/money.js';
import { type ApiClient, clientFromFlags } from './api-client.js';
import { type Flags, flag } from './args.js';
import { failure, type Outcome, ProblemError, success, UsageError } from './output.js';
import { progressBar } from './progress.js';

const fields = ['name', 'email', 'external_id', 'currency', 'opening_balance'] as const;
type Field = (typeof fields)[number];
const required_fields: readonly Field[] = ['name', 'currency'];
const batch_size_default = 20;
const batch_size_max = 100;
const rows_max = 100_000;
/**
 * The opening-balances wallet's overdraft: high enough for any import. Its balance goes negative by
 * exactly what the imported wallets received: what the platform owes them (docs/cli.md).
 */
const opening_overdraft_minor = amount_minor_max / 10n;

interface Row {
  /** The file's line the row starts on (the header is line 1). */
  readonly line: number;
  readonly values: Readonly<Partial<Record<Field, string>>>;
}

interface Rejected {
  readonly line: number;
  readonly reason: string;
  readonly code: string;
}

interface Imported {
  readonly line: number;
  readonly holder_id: string;
  readonly wallet_id: string;
  readonly opening_transfer_id: string | null;
}

/**
 * `purse import FILE.csv --map field=Column,...`: one holder and one wallet per row, funded with the
 * row's opening balance by a transfer from the platform's opening-balances wallet of that currency.
 * Every request carries an Idempotency-Key derived from the row's identity (its external_id, else
 * its content), so importing the same file again writes no row twice. Rows are checked before
 * anything is written for them; each refused row is reported with its line and reason.
 */
export async function importCommand(positionals: string[], flags: Flags): Promise<Outcome> {
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0)
    throw new UsageError('usage: purse import FILE.csv --map name=Name,currency=Currency,...');
  const mapping = parseMapping(flag(flags, 'map'));
  const batch_size = parseBatchSize(flag(flags, 'batch-size'));
  const rows = readRows(
    await readFile(file, 'utf8').catch(() => {
      throw new UsageError(`cannot read ${file}`);
    }),
    mapping,
  );
  const api = clientFromFlags(flags);
  const scales = await assetScales(api);
  const rejected: Rejected[] = [];
  const valid = checkRows(rows, scales, rejected);
  const imported: Imported[] = [];
  const progress = progressBar('import', valid.length);
  try {
    for (let start = 0; start < valid.length; start += batch_size) {
      const batch = valid.slice(start, start + batch_size);
      await Promise.all(
        batch.map(async (row) => {
          const outcome = await importRow(api, row, scales).catch((error: unknown) => {
            if (!(error instanceof ProblemError)) throw error;
            return { line: row.line, code: error.problem.code, reason: error.message } satisfies Rejected;
          });
          ('reason' in outcome ? rejected : imported).push(outcome as Rejected & Imported);
          progress.increment();
        }),
      );
    }
  } finally {
    progress.stop();
  }
  rejected.sort((a, b) => a.line - b.line);
  imported.sort((a, b) => a.line - b.line);
  const report = { rows: rows.length, imported: imported.length, rejected, wallets: imported };
  const text = [
    `${file}: ${rows.length} row(s), ${imported.length} imported (created now or already), ${rejected.length} rejected`,
    ...rejected.map((row) => `  line ${row.line}: ${row.reason}`),
  ].join('\n');
  return rejected.length === 0 ? success(report, text) : failure(report, text);
}

function parseMapping(value: string | undefined): ReadonlyMap<Field, string> {
  if (value === undefined)
    throw new UsageError(
      `import needs --map, e.g. --map name=Name,currency=Currency (fields: ${fields.join(', ')})`,
    );
  const mapping = new Map<Field, string>();
  for (const pair of value.split(',')) {
    const [field, column] = pair.split('=').map((part) => part.trim());
    if (!fields.includes(field as Field) || column === undefined || column === '')
      throw new UsageError(`--map: "${pair}" is not FIELD=Column with FIELD one of ${fields.join(', ')}`);
    mapping.set(field as Field, column);
  }
  const missing = required_fields.filter((field) => !mapping.has(field));
  if (missing.length > 0) throw new UsageError(`--map must name a column for ${missing.join(' and ')}`);
  return mapping;
}

function parseBatchSize(value: string | undefined): number {
  if (value === undefined) return batch_size_default;
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1 || size > batch_size_max)
    throw new UsageError(`--batch-size must be an integer from 1 to ${batch_size_max}`);
  return size;
}

/** The file's records as mapped fields, each with its line; a malformed file is a usage error. */
function readRows(content: string, mapping: ReadonlyMap<Field, string>): Row[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(content, { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (error) {
    throw new UsageError(`not a CSV file: ${(error as Error).message}`);
  }
  if (records.length > rows_max) throw new UsageError(`at most ${rows_max} rows per import`);
  const header = Object.keys(records[0]?.record ?? {});
  for (const column of mapping.values())
    if (records.length > 0 && !header.includes(column))
      throw new UsageError(
        `--map names column "${column}", which the file does not have (${header.join(', ')})`,
      );
  return records.map(({ record, info }) => {
    const values: Partial<Record<Field, string>> = {};
    for (const [field, column] of mapping) {
      const value = record[column];
      if (value !== undefined && value !== '') values[field] = value;
    }
    // info.lines is the record's last line; a quoted field may span several.
    return { line: info.lines, values };
  });
}

/** Rows that can be imported; the others go to `rejected` with their reason. */
function checkRows(rows: readonly Row[], scales: ReadonlyMap<string, number>, rejected: Rejected[]): Row[] {
  const seen = new Map<string, number>();
  return rows.filter((row) => {
    const reason = rowProblem(row, scales);
    if (reason !== undefined) {
      rejected.push({ line: row.line, code: 'invalid_row', reason });
      return false;
    }
    const identity = rowIdentity(row);
    const first = seen.get(identity);
    if (first !== undefined) {
      rejected.push({ line: row.line, code: 'duplicate_row', reason: `duplicates line ${first}` });
      return false;
    }
    seen.set(identity, row.line);
    return true;
  });
}

function rowProblem(row: Row, scales: ReadonlyMap<string, number>): string | undefined {
  const { name, currency, opening_balance } = row.values;
  if (name === undefined) return 'name is empty';
  if (currency === undefined) return 'currency is empty';
  const scale = scales.get(currency);
  if (scale === undefined) return `unknown currency "${currency}"`;
  if (opening_balance === undefined || /^0*(\.0*)?$/.test(opening_balance)) return undefined;
  const amount = parseAmount(opening_balance, scale, 'opening_balance');
  return amount.ok ? undefined : amount.error.detail;
}

/**
 * What makes a row the same row in a later run: its external_id and currency when it has one (a
 * holder may have a wallet per currency), else its whole content.
 */
function rowIdentity(row: Row): string {
  const { external_id, currency } = row.values;
  const identity =
    external_id === undefined
      ? JSON.stringify(fields.map((field) => row.values[field] ?? ''))
      : `${external_id}/${currency}`;
  return createHash('sha256').update(identity).digest('base64url').slice(0, 32);
}

async function importRow(api: ApiClient, row: Row, scales: ReadonlyMap<string, number>): Promise<Imported> {
  const { name, email, external_id, currency, opening_balance } = row.values;
  const key = `purse-import-${rowIdentity(row)}`;
  const holder = await api.post<{ id: string }>(
    '/v1/holders',
    {
      name,
      ...(email === undefined ? {} : { email }),
      ...(external_id === undefined ? {} : { external_id }),
    },
    `${key}-holder`,
  );
  const wallet = await api.post<{ id: string }>(
    '/v1/wallets',
    { currency, holder_id: holder.id },
    `${key}-wallet`,
  );
  const funded =
    opening_balance !== undefined &&
    parseAmount(opening_balance, scales.get(currency as string) ?? 0, 'x').ok;
  if (!funded)
    return { line: row.line, holder_id: holder.id, wallet_id: wallet.id, opening_transfer_id: null };
  const source = await openingBalancesWallet(api, currency as string, scales.get(currency as string) ?? 0);
  const transfer = await api.post<{ id: string }>(
    '/v1/transfers',
    {
      source_wallet_id: source,
      destination_wallet_id: wallet.id,
      amount: opening_balance,
      currency,
      description: 'Opening balance (purse import)',
    },
    `${key}-opening-balance`,
  );
  return { line: row.line, holder_id: holder.id, wallet_id: wallet.id, opening_transfer_id: transfer.id };
}

const opening_wallets = new Map<string, Promise<string>>();

/** The platform wallet opening balances come from, one per currency, made once (by its Idempotency-Key). */
function openingBalancesWallet(api: ApiClient, currency: string, scale: number): Promise<string> {
  let wallet = opening_wallets.get(currency);
  if (wallet === undefined) {
    wallet = api
      .post<{ id: string }>(
        '/v1/wallets',
        {
          currency,
          overdraft_limit: formatAmount(opening_overdraft_minor, scale),
          metadata: { purpose: 'opening_balances' },
        },
        `purse-import-opening-balances-${currency}`,
      )
      .then((made) => made.id);
    opening_wallets.set(currency, wallet);
  }
  return wallet;
}

/** Every asset's scale, by code (built-in and custom). */
async function assetScales(api: ApiClient): Promise<Map<string, number>> {
  const scales = new Map<string, number>();
  let after: string | undefined;
  for (let page = 0; page < 100; page++) {
    const list = await api.get<{ data: { code: string; scale: number }[]; has_more: boolean }>(
      `/v1/assets?limit=100${after === undefined ? '' : `&starting_after=${encodeURIComponent(after)}`}`,
    );
    for (const asset of list.data) scales.set(asset.code, asset.scale);
    after = list.data[list.data.length - 1]?.code;
    if (!list.has_more || after === undefined) break;
  }
  return scales;
}
