import type { Static } from '@sinclair/typebox';
import type { Limits } from '../config.js';
import { keyedHash, openNullable, sealNullable } from '../crypto/keyring.js';
import type { Client, Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { unlessUniqueViolation } from '../db/unique.js';
import { type EventType, eventOf, recordEvents } from '../events/index.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata, type Metadata, mergeMetadata } from '../shared/metadata.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { CreateHolderBody, HolderListQuery, UpdateHolderBody } from './schemas.js';

/** `name` and `email` are stored sealed (personal data, docs/security.md); views open them. */
interface HolderRow {
  id: string;
  livemode: boolean;
  name: string | null;
  email: string | null;
  email_hash: string | null;
  external_id: string | null;
  kyc_status: string;
  kyc_tier: number;
  test_clock_id: string | null;
  metadata: Metadata;
  created_at: Date;
  updated_at: Date;
}

export type HolderView = Omit<HolderRow, 'created_at' | 'updated_at' | 'test_clock_id' | 'email_hash'> & {
  test_clock: string | null;
  object: 'holder';
  created_at: string;
  updated_at: string;
};

export type NewHolder = Static<typeof CreateHolderBody>;
export type HolderUpdate = Static<typeof UpdateHolderBody>;
export type HolderFilter = Static<typeof HolderListQuery>;

function viewHolder(row: HolderRow): HolderView {
  return {
    id: row.id,
    object: 'holder',
    livemode: row.livemode,
    name: openNullable('personal', row.name),
    email: openNullable('personal', row.email),
    external_id: row.external_id,
    kyc_status: row.kyc_status,
    kyc_tier: row.kyc_tier,
    test_clock: row.test_clock_id,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function externalIdTaken(external_id: string): DomainError {
  return domainError(
    'holder_external_id_taken',
    `Another holder has external_id "${external_id}".`,
    'external_id',
  );
}

export async function createHolder(
  db: Client,
  livemode: boolean,
  input: NewHolder,
  limits: Limits,
  now: Date,
): Promise<Result<HolderView>> {
  const metadata = checkMetadata(input.metadata ?? {}, limits);
  if (!metadata.ok) return metadata;
  const clock = await testClockOf(db, livemode, input.test_clock);
  if (!clock.ok) return clock;
  const inserted = await unlessUniqueViolation(db, () =>
    db.query<HolderRow>(
      `INSERT INTO holders (id, livemode, name, email, external_id, kyc_status, kyc_tier, metadata, created_at, updated_at,
         test_clock_id, email_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) RETURNING *`,
      [
        newId('holder', now.getTime()),
        livemode,
        sealNullable('personal', input.name ?? null),
        sealNullable('personal', input.email ?? null),
        input.external_id ?? null,
        input.kyc_status ?? 'unverified',
        input.kyc_tier ?? 0,
        metadata.value,
        now,
        clock.value,
        emailHash(input.email ?? null),
      ],
    ),
  );
  const row = inserted?.rows[0];
  if (row === undefined) return fail(externalIdTaken(input.external_id ?? ''));
  return ok(await withEvent(db, 'holder.created', row, now));
}

/** A test clock for a new holder: test mode only, and one that exists. */
async function testClockOf(
  db: Queryable,
  livemode: boolean,
  id: string | undefined,
): Promise<Result<string | null>> {
  if (id === undefined) return ok(null);
  if (livemode)
    return fail(domainError('test_mode_only', 'Test clocks exist in test mode only.', 'test_clock'));
  const found = await db.query('SELECT 1 FROM test_clocks WHERE id = $1', [id]);
  return found.rowCount === 0 ? fail(notFound('test clock', id, 'test_clock')) : ok(id);
}

/** The holder as the API returns it, recorded as an event in the same transaction. */
async function withEvent(db: Client, type: EventType, row: HolderRow, now: Date): Promise<HolderView> {
  const view = viewHolder(row);
  await recordEvents(db, [eventOf(type, view)], now);
  return view;
}

export async function getHolder(db: Queryable, livemode: boolean, id: string): Promise<Result<HolderView>> {
  const row = await findHolder(db, livemode, id, false);
  return row === undefined ? fail(notFound('holder', id)) : ok(viewHolder(row));
}

function findHolder(
  db: Queryable,
  livemode: boolean,
  id: string,
  for_update: boolean,
): Promise<HolderRow | undefined> {
  return rowById<HolderRow>(db, 'holders', livemode, id, { for_update });
}

/** Fields given are set (null clears an optional one); metadata merges key by key. */
export async function updateHolder(
  db: Client,
  livemode: boolean,
  id: string,
  update: HolderUpdate,
  limits: Limits,
  now: Date,
): Promise<Result<HolderView>> {
  const current = await findHolder(db, livemode, id, true);
  if (current === undefined) return fail(notFound('holder', id));
  const metadata = mergeMetadata(current.metadata, update.metadata ?? {}, limits);
  if (!metadata.ok) return metadata;
  // A field not given keeps its sealed value as it is.
  const next = {
    name: update.name === undefined ? current.name : sealNullable('personal', update.name),
    email: update.email === undefined ? current.email : sealNullable('personal', update.email),
    email_hash: update.email === undefined ? current.email_hash : emailHash(update.email),
    external_id: update.external_id === undefined ? current.external_id : update.external_id,
    kyc_status: update.kyc_status ?? current.kyc_status,
    kyc_tier: update.kyc_tier ?? current.kyc_tier,
  };
  const updated = await unlessUniqueViolation(db, () =>
    db.query<HolderRow>(
      `UPDATE holders SET name = $2, email = $3, external_id = $4, kyc_status = $5, kyc_tier = $6, metadata = $7, updated_at = $8,
         email_hash = $9
       WHERE id = $1 RETURNING *`,
      [
        id,
        next.name,
        next.email,
        next.external_id,
        next.kyc_status,
        next.kyc_tier,
        metadata.value,
        now,
        next.email_hash,
      ],
    ),
  );
  const row = updated?.rows[0];
  if (row === undefined) return fail(externalIdTaken(next.external_id ?? ''));
  return ok(await withEvent(db, 'holder.updated', row, now));
}

export function listHolders(
  db: Queryable,
  livemode: boolean,
  filter: HolderFilter,
): Promise<Result<Page<HolderView>>> {
  const where = ['livemode = $1'];
  const params: unknown[] = [livemode];
  for (const field of ['external_id', 'email', 'kyc_status'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    // Emails are sealed: equality goes through their keyed hash.
    params.push(field === 'email' ? emailHash(value) : value);
    where.push(`${field === 'email' ? 'email_hash' : field} = $${params.length}`);
  }
  return fetchPage(
    db,
    { table: 'holders', where, params, id_prefix: 'hol', map: viewHolder },
    pageQuery(filter),
  );
}

/** The keyed hash `GET /v1/holders?email=` looks up: exact text, as the filter always compared. */
function emailHash(email: string | null): string | null {
  return email === null ? null : keyedHash('holder_email', email);
}
