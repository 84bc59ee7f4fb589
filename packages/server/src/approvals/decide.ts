import type { AuthContext } from '../auth/context.js';
import type { ChallengeSettings } from '../challenges/service.js';
import { openJson, sealJson } from '../crypto/keyring.js';
import { rowById } from '../db/rows.js';
import { runStoredRequest } from '../guard/stored.js';
import type { RailContext } from '../rails/index.js';
import { domainError, notFound } from '../shared/errors.js';
import { idPrefixes } from '../shared/ids.js';
import { fail, ok, type Result } from '../shared/result.js';
import { type ApprovalRow, type ApprovalView, approvalView, getApproval } from './service.js';

export interface Decider {
  readonly ctx: RailContext;
  readonly decider: AuthContext;
  readonly request_id: string;
  readonly ip: string;
  readonly approval_ttl_s: number;
  readonly challenges: ChallengeSettings;
}

/**
 * Approves a pending approval and executes its request once, in this transaction, on behalf of the
 * key that made it. The approval row is locked first: a second approval racing this one waits, then
 * finds it decided (409). The execution is screened again with the approval threshold and review
 * rules passed, so hard limits and blocking rules still hold at the time it runs. Whatever the
 * request answers (success or refusal) is stored on the approval as its result.
 */
export async function approve(decider: Decider, id: string): Promise<Result<ApprovalView>> {
  const row = await lockPending(decider, id);
  if (!row.ok) return row;
  // A four-eyes refund waits for a person: a key (even an administrator's) cannot stand in for one.
  if (row.value.reason === 'four_eyes' && decider.decider.operator === undefined)
    return fail(
      domainError('key_restricted', 'A four-eyes approval needs a second operator, not an API key.'),
    );
  if (decider.decider.operator !== undefined && !(await secondPairOfEyes(decider, row.value)))
    return getApproval(decider.ctx.db, decider.ctx.livemode, id);
  const ran = await runStoredRequest(
    {
      ctx: decider.ctx,
      request_id: decider.request_id,
      ip: decider.ip,
      approval_ttl_s: decider.approval_ttl_s,
      passed: { approved: true },
      challenges: decider.challenges,
    },
    row.value,
  );
  if (!ran.ok) return ran;
  return decide(decider, id, 'approved', ran.value);
}

export async function reject(decider: Decider, id: string): Promise<Result<ApprovalView>> {
  const row = await lockPending(decider, id);
  if (!row.ok) return row;
  return decide(decider, id, 'rejected', undefined);
}

/**
 * Four-eyes (docs/dashboard.md): records the operator's yes, and answers whether two distinct
 * operators have now said yes, the operator who made the request counting as one. Under the
 * approval's row lock, so two operators approving at once both count and it runs once.
 */
async function secondPairOfEyes(decider: Decider, row: ApprovalRow): Promise<boolean> {
  const { db, now } = decider.ctx;
  const operator_id = decider.decider.key_id;
  await db.query(
    `INSERT INTO approval_signoffs (approval_id, operator_id, created_at) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING`,
    [row.id, operator_id, now],
  );
  const found = await db.query<{ operator_id: string }>(
    'SELECT operator_id FROM approval_signoffs WHERE approval_id = $1',
    [row.id],
  );
  const yes = new Set(found.rows.map((signoff) => signoff.operator_id));
  if (row.api_key_id.startsWith(`${idPrefixes.operator}_`)) yes.add(row.api_key_id);
  return yes.size >= 2;
}

async function lockPending(decider: Decider, id: string): Promise<Result<ApprovalRow>> {
  const { db, livemode, now } = decider.ctx;
  const row = await rowById<ApprovalRow>(db, 'approvals', livemode, id, { for_update: true });
  if (row === undefined) return fail(notFound('approval', id));
  if (row.status !== 'pending')
    return fail(domainError('approval_not_pending', `Approval ${id} is already ${row.status}.`));
  if (row.expires_at <= now)
    return fail(
      domainError('approval_expired', `Approval ${id} expired at ${row.expires_at.toISOString()}.`),
    );
  if (row.api_key_id === decider.decider.key_id)
    return fail(domainError('key_restricted', 'A key cannot decide an approval of its own request.'));
  if (decider.decider.spend_policy !== null || decider.decider.restrictions !== null)
    return fail(
      domainError('key_restricted', 'A key with restrictions or a spend policy cannot decide approvals.'),
    );
  return ok({ ...row, body: openJson('personal', row.body) });
}

async function decide(
  decider: Decider,
  id: string,
  status: 'approved' | 'rejected',
  result: { status: number; body: unknown } | undefined,
): Promise<Result<ApprovalView>> {
  const updated = await decider.ctx.db.query<ApprovalRow>(
    `UPDATE approvals SET status = $2, decided_at = $3, decided_by = $4, result_status = $5, result_body = $6
     WHERE id = $1 RETURNING *`,
    [
      id,
      status,
      decider.ctx.now,
      decider.decider.key_id,
      result?.status ?? null,
      result === undefined ? null : JSON.stringify(sealJson('personal', result.body)),
    ],
  );
  return ok(await approvalView(decider.ctx.db, updated.rows[0] as ApprovalRow));
}
