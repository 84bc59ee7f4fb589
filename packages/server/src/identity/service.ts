import type { Limits } from '../config.js';
import { openJson, sealJson } from '../crypto/keyring.js';
import type { Client, Queryable } from '../db/pool.js';
import { unlessUniqueViolation } from '../db/unique.js';
import { getHolder } from '../holders/service.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata, type Metadata, mergeMetadata } from '../shared/metadata.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import { applyDecision } from './apply.js';
import { type DecideDeps, type Decision, decide, decideApproval, type ReviewedMatch } from './decide.js';
import { type Attacher, checkInput, mergeInput } from './input.js';
import { providedFields, type SessionInput, type SessionStatus } from './outcomes.js';
import { isSanctionsBlocked } from './sanctions-blocks.js';
import type { CreateSessionInput, RejectSessionInput, SessionFilter, UpdateSessionInput } from './schemas.js';

export interface SessionRow {
  id: string;
  livemode: boolean;
  holder_id: string;
  type: 'person' | 'business';
  status: SessionStatus;
  /** Sealed JSON (record class personal): the SessionInput. */
  input: string;
  missing_fields: string[];
  review: 'sanctions' | 'manual' | null;
  sanctions_matches: ReviewedMatch[];
  /** The possible matches an operator cleared by approving, each for the name reviewed. */
  sanctions_cleared: ReviewedMatch[];
  last_error_code: string | null;
  last_error_reason: string | null;
  verified_tier: number | null;
  file_ids: string[];
  metadata: Metadata;
  created_at: Date;
  updated_at: Date;
}

export function viewSession(row: SessionRow) {
  return {
    id: row.id,
    object: 'verification_session' as const,
    livemode: row.livemode,
    holder_id: row.holder_id,
    type: row.type,
    status: row.status,
    last_error:
      row.last_error_code === null
        ? null
        : { code: row.last_error_code, reason: row.last_error_reason ?? '' },
    missing_fields: row.missing_fields,
    provided_fields: providedFields(inputOf(row)),
    review:
      row.review === null
        ? null
        : {
            reason: row.review,
            sanctions_matches: row.sanctions_matches.map(({ name_hash, ...shown }) => shown),
          },
    verified_tier: row.verified_tier,
    files: row.file_ids,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
export type SessionView = ReturnType<typeof viewSession>;

/**
 * The session as a restricted key (the end user's own) sees it: that it is under review or
 * rejected for a sanctions match, never which list entry, name or score. Telling a user how close
 * a name came to a listed one would help them find a spelling that passes.
 */
export function viewForRestricted(view: SessionView): SessionView {
  const sanctions_error = view.last_error?.code === 'sanctions_match';
  return {
    ...view,
    last_error: sanctions_error
      ? { code: 'sanctions_match', reason: sanctions_reason_shown }
      : view.last_error,
    review: view.review === null ? null : { ...view.review, sanctions_matches: [] },
  };
}

const sanctions_reason_shown = 'A name matches a sanctions list.';

export function inputOf(row: SessionRow): SessionInput {
  return openJson<SessionInput>('personal', row.input);
}

/** What a session's writes need: the request's transaction, who asks, and how to decide. */
export interface SessionContext {
  readonly db: Client;
  readonly livemode: boolean;
  readonly now: Date;
  readonly limits: Limits;
  readonly attacher: Attacher;
  readonly decide: Omit<DecideDeps, 'today'>;
}

function decideDeps(ctx: SessionContext): DecideDeps {
  return { ...ctx.decide, today: ctx.now.toISOString().slice(0, 10) };
}

export async function createSession(
  ctx: SessionContext,
  holder_id: string,
  body: CreateSessionInput,
): Promise<Result<SessionView>> {
  const holder = await getHolder(ctx.db, ctx.livemode, holder_id);
  if (!holder.ok) return holder;
  const metadata = checkMetadata(body.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const input: SessionInput = {
    type: body.type,
    ...(body.person === undefined ? {} : { person: body.person }),
    ...(body.business === undefined ? {} : { business: body.business }),
  };
  const file_ids = await checkInput(ctx.db, input, ctx.attacher);
  if (!file_ids.ok) return file_ids;
  const inserted = await unlessUniqueViolation(ctx.db, () =>
    ctx.db.query<SessionRow>(
      `INSERT INTO verification_sessions (id, livemode, holder_id, type, status, input, file_ids, metadata, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'requires_input', $5, $6, $7, $8, $8) RETURNING *`,
      [
        newId('verification_session', ctx.now.getTime()),
        ctx.livemode,
        holder_id,
        input.type,
        sealJson('personal', input),
        file_ids.value,
        metadata.value,
        ctx.now,
      ],
    ),
  );
  const row = inserted?.rows[0];
  if (row === undefined)
    return fail(
      domainError(
        'verification_in_progress',
        `Holder ${holder_id} has a verification session in requires_input or processing; update it instead.`,
      ),
    );
  const decision = await decide(decideDeps(ctx), {
    input,
    holder_name: holder.value.name,
    holder_blocked: await isSanctionsBlocked(ctx.db, ctx.livemode, holder_id),
    cleared: [],
  });
  return ok(await applyDecision(ctx, row, decision, 'verification_session.created'));
}

/** New input for a session that requires it, decided again at once. */
export async function updateSession(
  ctx: SessionContext,
  id: string,
  body: UpdateSessionInput,
): Promise<Result<SessionView>> {
  const row = await lockSession(ctx.db, ctx.livemode, id);
  if (row === undefined) return fail(notFound('verification session', id));
  const metadata = mergeMetadata(row.metadata, body.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  if (row.status !== 'requires_input' && (body.person !== undefined || body.business !== undefined))
    return fail(notOpen(row, 'take new input'));
  const input = mergeInput(inputOf(row), body);
  const file_ids = await checkInput(ctx.db, input, ctx.attacher, row.file_ids);
  if (!file_ids.ok) return file_ids;
  const updated = await ctx.db.query<SessionRow>(
    'UPDATE verification_sessions SET input = $2, file_ids = $3, metadata = $4, updated_at = $5 WHERE id = $1 RETURNING *',
    [id, sealJson('personal', input), file_ids.value, metadata.value, ctx.now],
  );
  const saved = updated.rows[0] ?? row;
  // Only metadata changed on a session that is not waiting for input: nothing to decide again.
  if (row.status !== 'requires_input') return ok(viewSession(saved));
  return ok(await applyDecision(ctx, saved, await decideAgain(ctx, saved, input), undefined));
}

async function decideAgain(ctx: SessionContext, row: SessionRow, input: SessionInput): Promise<Decision> {
  return decide(decideDeps(ctx), await screenedNow(ctx, row, input, row.sanctions_cleared));
}

/** The session's names as they are now (the holder may have been renamed or blocked meanwhile). */
async function screenedNow(
  ctx: SessionContext,
  row: SessionRow,
  input: SessionInput,
  cleared: readonly ReviewedMatch[],
) {
  const holder_blocked = await isSanctionsBlocked(ctx.db, ctx.livemode, row.holder_id);
  const holder = await getHolder(ctx.db, ctx.livemode, row.holder_id);
  const holder_name = holder.ok ? holder.value.name : null;
  return { input, holder_name, holder_blocked, cleared };
}

/**
 * An operator's approval of a session waiting for one: a possible sanctions match is cleared (for
 * the names reviewed) and the verifier decides next; a session no verifier decides (review manual)
 * is verified. Either way the names are screened again as they are now (decideApproval).
 */
export async function approveSession(ctx: SessionContext, id: string): Promise<Result<SessionView>> {
  const row = await lockSession(ctx.db, ctx.livemode, id);
  if (row === undefined) return fail(notFound('verification session', id));
  if (row.status !== 'processing' || row.review === null)
    return fail(notOpen(row, 'be approved', 'processing'));
  const cleared =
    row.review === 'sanctions' ? [...row.sanctions_cleared, ...row.sanctions_matches] : row.sanctions_cleared;
  await ctx.db.query('UPDATE verification_sessions SET sanctions_cleared = $2 WHERE id = $1', [
    id,
    JSON.stringify(cleared),
  ]);
  const session = await screenedNow(ctx, row, inputOf(row), cleared);
  const decision = await decideApproval(decideDeps(ctx), session, row.review);
  return ok(await applyDecision(ctx, { ...row, sanctions_cleared: cleared }, decision, undefined));
}

/** An operator's rejection of a session still open; sanctions_match also blocks the holder. */
export async function rejectSession(
  ctx: SessionContext,
  id: string,
  body: RejectSessionInput,
): Promise<Result<SessionView>> {
  const row = await lockSession(ctx.db, ctx.livemode, id);
  if (row === undefined) return fail(notFound('verification session', id));
  if (row.status === 'verified' || row.status === 'rejected') return fail(notOpen(row, 'be rejected'));
  const decision: Decision = {
    status: 'rejected',
    error: { code: body.code ?? 'operator_rejected', reason: body.reason ?? 'Rejected by an operator.' },
    matches: row.sanctions_matches,
  };
  return ok(await applyDecision(ctx, row, decision, undefined));
}

function notOpen(row: SessionRow, what: string, status = 'requires_input') {
  return domainError(
    'invalid_state',
    `Verification session ${row.id} is ${row.status}; only a ${status} session can ${what}.`,
  );
}

async function lockSession(db: Queryable, livemode: boolean, id: string): Promise<SessionRow | undefined> {
  const found = await db.query<SessionRow>(
    'SELECT * FROM verification_sessions WHERE id = $1 AND livemode = $2 FOR UPDATE',
    [id, livemode],
  );
  return found.rows[0];
}

export async function getSession(db: Queryable, livemode: boolean, id: string): Promise<Result<SessionView>> {
  const found = await db.query<SessionRow>(
    'SELECT * FROM verification_sessions WHERE id = $1 AND livemode = $2',
    [id, livemode],
  );
  const row = found.rows[0];
  return row === undefined ? fail(notFound('verification session', id)) : ok(viewSession(row));
}

/** Newest first; `only_holder_id` narrows a restricted key's list to its holder (null: to nothing). */
export function listSessions(
  db: Queryable,
  livemode: boolean,
  filter: SessionFilter,
  only_holder_id: string | null | undefined,
): Promise<Result<Page<SessionView>>> {
  const where = ['livemode = $1'];
  const params: unknown[] = [livemode];
  const conditions: [string, string | null | undefined][] = [
    ['holder_id', filter.holder_id],
    ['status', filter.status],
    ['holder_id', only_holder_id],
  ];
  for (const [column, value] of conditions) {
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} IS NOT DISTINCT FROM $${params.length}`);
  }
  return fetchPage(
    db,
    { table: 'verification_sessions', where, params, id_prefix: 'vs', map: viewSession },
    pageQuery(filter),
  );
}
