import { appendAudit, responseFacts } from '../audit/append.js';
import type { AuthContext } from '../auth/context.js';
import type { ApiKeyRow } from '../auth/keys-service.js';
import { openJson, sealJson } from '../crypto/keyring.js';
import type { Client } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { money_endpoints } from '../guard/endpoints.js';
import { type GuardRequest, screenMovements } from '../guard/screen.js';
import { problemBody } from '../http/problem.js';
import type { RailContext } from '../rails/index.js';
import { screenAndApply } from '../requests/screening.js';
import { enabledRules } from '../risk/rules.js';
import { assert } from '../shared/assert.js';
import { catalogue, domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { type ApprovalRow, type ApprovalView, approvalView } from './service.js';

export interface Decider {
  readonly ctx: RailContext;
  readonly decider: AuthContext;
  readonly request_id: string;
  readonly ip: string;
  readonly approval_ttl_s: number;
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
  const approval = row.value;
  const endpoint = money_endpoints.get(approval.route);
  assert(endpoint !== undefined, `approval ${id} names the money endpoint ${approval.route}`);
  const requester = await requesterAuth(decider.ctx.db, approval, decider.ctx.now);
  if (!requester.ok) return requester;
  const guard: GuardRequest = {
    auth: requester.value,
    request_id: decider.request_id,
    now: decider.ctx.now,
    approval_ttl_s: decider.approval_ttl_s,
    route: approval.route,
    params: approval.params,
    body: approval.body,
    approved: true,
  };
  const db = decider.ctx.db;
  const ctx = { ...decider.ctx, livemode: approval.livemode };
  const applied = await screenAndApply(
    db,
    'approved_request',
    async () => {
      const rules = await enabledRules(db, approval.livemode);
      const movements = await endpoint.movements(db, approval.livemode, approval.body, approval.params);
      return screenMovements(db, guard, rules, movements, endpoint.objects);
    },
    () => endpoint.execute(ctx, approval.body, approval.params, decider.request_id),
  );
  const result =
    applied.verdict === 'ran'
      ? applied.result
      : fail(
          applied.verdict === 'refuse'
            ? applied.error
            : domainError('invalid_state', 'The request was parked again.'),
        );
  const status = result.ok ? endpoint.success_status : catalogue[result.error.code].status;
  const body = result.ok ? result.value : problemBody(result.error, decider.request_id);
  await appendAudit(db, [executionAudit(decider, approval, status, body)]);
  return decide(decider, id, 'approved', { status, body });
}

export async function reject(decider: Decider, id: string): Promise<Result<ApprovalView>> {
  const row = await lockPending(decider, id);
  if (!row.ok) return row;
  return decide(decider, id, 'rejected', undefined);
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

/** The requesting key as it is now: a revoked or expired key's requests are not run. */
async function requesterAuth(db: Client, approval: ApprovalRow, now: Date): Promise<Result<AuthContext>> {
  const found = await db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE id = $1', [approval.api_key_id]);
  const key = found.rows[0];
  assert(key !== undefined, `approval ${approval.id} names an existing key`);
  if (key.revoked_at !== null || (key.expires_at !== null && key.expires_at <= now))
    return fail(
      domainError('invalid_state', `The key ${key.id} that made this request is revoked or expired.`),
    );
  return ok({
    key_id: key.id,
    livemode: key.livemode,
    scopes: key.scopes,
    api_version: key.api_version,
    restrictions: key.restrictions,
    spend_policy: key.spend_policy,
    rate_limit_requests_max: key.rate_limit_requests_max,
  });
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

/** The executed request's own audit entry, on behalf of the key that asked for it. */
function executionAudit(decider: Decider, approval: ApprovalRow, status: number, body: unknown) {
  const facts = responseFacts(status, body);
  return {
    livemode: approval.livemode,
    actor: approval.api_key_id,
    action: approval.route,
    object_id: facts.object_id ?? approval.id,
    request_id: decider.request_id,
    ip: decider.ip,
    outcome_status: status,
    outcome_code: facts.outcome_code,
    created_at: decider.ctx.now,
  };
}
