import { appendAudit, responseFacts } from '../audit/append.js';
import { consentAuthContext, consentRefusal, findConsentGrant } from '../auth/consent-access.js';
import type { AuthContext } from '../auth/context.js';
import { type ApiKeyRow, keyAuthContext } from '../auth/keys-service.js';
import type { ChallengeSettings } from '../challenges/service.js';
import type { Client } from '../db/pool.js';
import { problemBody } from '../http/problem.js';
import { findOperator } from '../operators/service.js';
import { operatorAuthContext } from '../operators/session-access.js';
import type { RailContext } from '../rails/index.js';
import { screenAndApply } from '../requests/screening.js';
import { enabledRules } from '../risk/rules.js';
import { assert } from '../shared/assert.js';
import { catalogue, domainError } from '../shared/errors.js';
import { idPrefixes } from '../shared/ids.js';
import { fail, ok, type Result } from '../shared/result.js';
import { money_endpoints } from './endpoints.js';
import { type GuardRequest, screenMovements } from './screen.js';

/** A money request kept to run later: an approval's or a challenge's. */
export interface StoredRequest {
  /** The approval or challenge that kept it. */
  readonly id: string;
  readonly livemode: boolean;
  readonly api_key_id: string;
  readonly route: string;
  readonly params: Record<string, string>;
  readonly body: unknown;
}

/** Who runs it now, in which transaction, and what the decision passed. */
export interface StoredRun {
  readonly ctx: RailContext;
  readonly request_id: string;
  readonly ip: string;
  readonly approval_ttl_s: number;
  readonly passed: Pick<GuardRequest, 'approved' | 'challenge_confirmed_by'>;
  /** A challenge rule that matches only now asks the holder for a code (HTTP 202, a challenge). */
  readonly challenges: ChallengeSettings;
}

/**
 * Runs a kept request once, in the caller's transaction, on behalf of the key that made it. It is
 * screened again (hard limits and blocking rules hold at the time it runs; `passed` says which
 * checks the approval or the code already answered), and whatever it answers, success or refusal,
 * is returned as status and body, and audited as the request's own entry.
 */
export async function runStoredRequest(
  run: StoredRun,
  stored: StoredRequest,
): Promise<Result<{ status: number; body: unknown }>> {
  const endpoint = money_endpoints.get(stored.route);
  assert(endpoint !== undefined, `${stored.id} names the money endpoint ${stored.route}`);
  const db = run.ctx.db;
  const requester = await requesterAuth(db, stored, run.ctx.now);
  if (!requester.ok) return requester;
  const guard: GuardRequest = {
    auth: requester.value,
    request_id: run.request_id,
    now: run.ctx.now,
    approval_ttl_s: run.approval_ttl_s,
    route: stored.route,
    params: stored.params,
    body: stored.body,
    ...run.passed,
    challenges: run.challenges,
  };
  const ctx = { ...run.ctx, livemode: stored.livemode };
  const applied = await screenAndApply(
    db,
    'stored_request',
    async () => {
      const rules = await enabledRules(db, stored.livemode);
      const movements = await endpoint.movements(db, stored.livemode, stored.body, stored.params);
      return screenMovements(db, guard, rules, movements, endpoint.objects);
    },
    () => endpoint.execute(ctx, stored.body, stored.params, run.request_id),
  );
  if (applied.verdict === 'park') {
    // A rule that matches only now parks it again (HTTP 202): a new approval, or a challenge for the
    // holder's code (an approval never stands in for it).
    return ok({ status: 202, body: await applied.park(db) });
  }
  const result = applied.verdict === 'ran' ? applied.result : fail(applied.error);
  const status = result.ok ? endpoint.success_status : catalogue[result.error.code].status;
  const body = result.ok ? result.value : problemBody(result.error, run.request_id);
  await appendAudit(db, [executionAudit(run, stored, status, body)]);
  return ok({ status, body });
}

/** The requesting key (or partner consent) as it is now: a revoked or expired one's requests are not run. */
async function requesterAuth(db: Client, stored: StoredRequest, now: Date): Promise<Result<AuthContext>> {
  if (stored.api_key_id.startsWith(`${idPrefixes.consent}_`)) return consentRequester(db, stored, now);
  if (stored.api_key_id.startsWith(`${idPrefixes.operator}_`)) return operatorRequester(db, stored);
  const found = await db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE id = $1', [stored.api_key_id]);
  const key = found.rows[0];
  assert(key !== undefined, `${stored.id} names an existing key`);
  if (key.revoked_at !== null || (key.expires_at !== null && key.expires_at <= now))
    return fail(
      domainError('invalid_state', `The key ${key.id} that made this request is revoked or expired.`),
    );
  return ok(keyAuthContext(key));
}

/** A partner app's kept request runs only while the holder's consent and the app still stand. */
async function consentRequester(db: Client, stored: StoredRequest, now: Date): Promise<Result<AuthContext>> {
  const consent = await findConsentGrant(db, stored.api_key_id);
  assert(consent !== undefined, `${stored.id} names an existing consent`);
  const refusal = consentRefusal(consent, now);
  if (refusal !== undefined) return fail(domainError('invalid_state', refusal));
  return ok(consentAuthContext(consent));
}

/** An operator's kept request runs only while the operator may still sign in, with its role now. */
async function operatorRequester(db: Client, stored: StoredRequest): Promise<Result<AuthContext>> {
  const operator = await findOperator(db, stored.api_key_id);
  assert(operator !== undefined, `${stored.id} names an existing operator`);
  if (operator.disabled_at !== null)
    return fail(
      domainError('invalid_state', `The operator ${operator.id} who made this request is disabled.`),
    );
  return ok(operatorAuthContext(operator, stored.livemode, stored.id));
}

/** The executed request's own audit entry, on behalf of the key that asked for it. */
function executionAudit(run: StoredRun, stored: StoredRequest, status: number, body: unknown) {
  const facts = responseFacts(status, body);
  return {
    livemode: stored.livemode,
    actor: stored.api_key_id,
    action: stored.route,
    object_id: facts.object_id ?? stored.id,
    request_id: run.request_id,
    ip: run.ip,
    outcome_status: status,
    outcome_code: facts.outcome_code,
    created_at: run.ctx.now,
  };
}
