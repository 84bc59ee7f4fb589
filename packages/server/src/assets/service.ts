import type { Client, Queryable } from '../db/pool.js';
import { unlessUniqueViolation } from '../db/unique.js';
import { eventOf, recordEvents } from '../events/index.js';
import { createSystemAccounts } from '../ledger/accounts.js';
import { domainError, notFound } from '../shared/errors.js';
import type { Page } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';

interface AssetRow {
  livemode: boolean;
  code: string;
  scale: number;
  name: string;
  custom: boolean;
  created_at: Date;
}

export interface AssetView {
  id: string;
  object: 'asset';
  livemode: boolean;
  code: string;
  scale: number;
  name: string;
  custom: boolean;
  created_at: string;
}

export interface NewAsset {
  readonly code: string;
  readonly scale: number;
  readonly name: string;
}

function viewAsset(row: AssetRow): AssetView {
  return {
    id: row.code,
    object: 'asset',
    livemode: row.livemode,
    code: row.code,
    scale: row.scale,
    name: row.name,
    custom: row.custom,
    created_at: row.created_at.toISOString(),
  };
}

/** Assets are few and named by code, so they list in code order with the code as the cursor. */
export async function listAssets(
  db: Queryable,
  livemode: boolean,
  page: { limit: number; starting_after?: string },
): Promise<Page<AssetView>> {
  const result = await db.query<AssetRow>(
    `SELECT * FROM assets WHERE livemode = $1 AND ($2::text IS NULL OR code > $2) ORDER BY code LIMIT $3`,
    [livemode, page.starting_after ?? null, page.limit + 1],
  );
  return {
    object: 'list',
    data: result.rows.slice(0, page.limit).map(viewAsset),
    has_more: result.rows.length > page.limit,
  };
}

export async function getAsset(db: Queryable, livemode: boolean, code: string): Promise<Result<AssetView>> {
  const result = await db.query<AssetRow>('SELECT * FROM assets WHERE livemode = $1 AND code = $2', [
    livemode,
    code,
  ]);
  const row = result.rows[0];
  return row === undefined ? fail(notFound('asset', code)) : ok(viewAsset(row));
}

export async function createAsset(
  db: Client,
  livemode: boolean,
  input: NewAsset,
  now: Date,
): Promise<Result<AssetView>> {
  const inserted = await unlessUniqueViolation(db, () =>
    db.query<AssetRow>(
      'INSERT INTO assets (livemode, code, scale, name, custom, created_at) VALUES ($1, $2, $3, $4, true, $5) RETURNING *',
      [livemode, input.code, input.scale, input.name, now],
    ),
  );
  const row = inserted?.rows[0];
  if (row === undefined)
    return fail(domainError('asset_exists', `An asset with code "${input.code}" already exists.`, 'code'));
  const view = viewAsset(row);
  await createSystemAccounts(db, livemode, view.code);
  await recordEvents(db, [eventOf('asset.created', view)], now);
  return ok(view);
}

const builtin_scales = new Map<string, number>();

/**
 * The scale of an asset in a mode, or asset_not_found naming `param`. Built-in assets are the same
 * rows in every Purse database (seeded by the first migration, never changed), so their scales are
 * cached per process and the hot path skips the lookup; custom assets are always read.
 */
export async function assetScale(
  db: Queryable,
  livemode: boolean,
  code: string,
  param: string,
): Promise<Result<number>> {
  const cached = builtin_scales.get(code);
  if (cached !== undefined) return ok(cached);
  const result = await db.query<{ scale: number; custom: boolean }>(
    'SELECT scale, custom FROM assets WHERE livemode = $1 AND code = $2',
    [livemode, code],
  );
  const row = result.rows[0];
  if (row === undefined) return fail(domainError('asset_not_found', `No asset with code "${code}".`, param));
  if (!row.custom) builtin_scales.set(code, row.scale);
  return ok(row.scale);
}
