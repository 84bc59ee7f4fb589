import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import { openJson, sealJson } from '../crypto/keyring.js';
import type { Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { withMaskedNumbers } from '../rails/index.js';
import { notFound } from '../shared/errors.js';
import { Filters } from '../shared/filters.js';
import { newId } from '../shared/ids.js';
import { formatAmount } from '../shared/money.js';
import { fetchPage, type Page, pageQuery } from '../shared/pagination.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { ApprovalListQuery } from './schemas.js';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalRow {
  id: string;
  livemode: boolean;
  status: ApprovalStatus;
  reason: 'spend_policy' | 'risk_review' | 'four_eyes';
  detail: string;
  risk_rule_id: string | null;
  api_key_id: string;
  route: string;
  params: Record<string, string>;
  body: unknown;
  request_id: string;
  asset: string;
  amount_minor: string;
  expires_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  result_status: number | null;
  result_body: unknown;
  created_at: Date;
}

export interface ApprovalView {
  id: string;
  object: 'approval';
  livemode: boolean;
  status: ApprovalStatus;
  reason: ApprovalRow['reason'];
  detail: string;
  risk_rule_id: string | null;
  api_key_id: string;
  request: { method: string; path: string; body: unknown; request_id: string };
  amount: string;
  currency: string;
  expires_at: string;
  decided_at: string | null;
  decided_by: string | null;
  signoffs: { operator_id: string; created_at: string }[];
  result: { status: number; body: unknown } | null;
  created_at: string;
}

/** A request parked for approval: what to run again, on whose behalf, and why it waits. */
export interface NewApproval {
  readonly livemode: boolean;
  readonly reason: ApprovalRow['reason'];
  readonly detail: string;
  readonly risk_rule_id: string | null;
  readonly api_key_id: string;
  readonly route: string;
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly request_id: string;
  readonly asset: string;
  readonly amount_minor: bigint;
  readonly expires_at: Date;
  readonly now: Date;
}

async function signoffsOf(db: Queryable, approval_id: string) {
  const found = await db.query<{ operator_id: string; created_at: Date }>(
    'SELECT operator_id, created_at FROM approval_signoffs WHERE approval_id = $1 ORDER BY created_at',
    [approval_id],
  );
  return found.rows.map((row) => ({
    operator_id: row.operator_id,
    created_at: row.created_at.toISOString(),
  }));
}

export async function approvalView(db: Queryable, row: ApprovalRow): Promise<ApprovalView> {
  const scale = await assetScale(db, row.livemode, row.asset, 'currency');
  const [method = 'POST', pattern = ''] = row.route.split(' ');
  return {
    id: row.id,
    object: 'approval',
    livemode: row.livemode,
    status: row.status,
    reason: row.reason,
    detail: row.detail,
    risk_rule_id: row.risk_rule_id,
    api_key_id: row.api_key_id,
    request: {
      method,
      path: pattern.replace(/:([a-z_]+)/g, (_, name: string) => row.params[name] ?? `:${name}`),
      // Shown again without card or account numbers; the approval runs the sealed original.
      body: withMaskedNumbers(openJson('personal', row.body)),
      request_id: row.request_id,
    },
    amount: formatAmount(BigInt(row.amount_minor), scale.ok ? scale.value : 0),
    currency: row.asset,
    expires_at: row.expires_at.toISOString(),
    decided_at: row.decided_at?.toISOString() ?? null,
    decided_by: row.decided_by,
    signoffs: await signoffsOf(db, row.id),
    result:
      row.result_status === null
        ? null
        : { status: row.result_status, body: openJson('personal', row.result_body) },
    created_at: row.created_at.toISOString(),
  };
}

export async function createApproval(db: Queryable, input: NewApproval): Promise<ApprovalView> {
  const result = await db.query<ApprovalRow>(
    `INSERT INTO approvals (id, livemode, status, reason, detail, risk_rule_id, api_key_id, route, params, body, request_id,
       asset, amount_minor, expires_at, created_at)
     VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
    [
      newId('approval', input.now.getTime()),
      input.livemode,
      input.reason,
      input.detail,
      input.risk_rule_id,
      input.api_key_id,
      input.route,
      input.params,
      // Sealed: the parked request may hold personal data and card or account numbers.
      JSON.stringify(sealJson('personal', input.body)),
      input.request_id,
      input.asset,
      input.amount_minor.toString(),
      input.expires_at,
      input.now,
    ],
  );
  return approvalView(db, result.rows[0] as ApprovalRow);
}

export async function getApproval(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<ApprovalView>> {
  const row = await rowById<ApprovalRow>(db, 'approvals', livemode, id);
  return row === undefined ? fail(notFound('approval', id)) : ok(await approvalView(db, row));
}

/**
 * `requester_key_id`, when given, narrows the list to that key's own requests (a restricted key's
 * view); an `api_key_id` filter naming another key then finds nothing.
 */
export async function listApprovals(
  db: Queryable,
  livemode: boolean,
  query: Static<typeof ApprovalListQuery>,
  requester_key_id?: string,
): Promise<Result<Page<ApprovalView>>> {
  const { where, params } = new Filters(livemode)
    .equals('status', query.status)
    .equals('api_key_id', query.api_key_id)
    .equals('api_key_id', requester_key_id);
  const page = await fetchPage(
    db,
    { table: 'approvals', where, params, id_prefix: 'apr', map: (row: ApprovalRow) => row },
    pageQuery(query),
  );
  if (!page.ok) return page;
  return ok({ ...page.value, data: await Promise.all(page.value.data.map((row) => approvalView(db, row))) });
}

/** Marks pending approvals past their expiry as expired; returns them, for the audit trail. */
export async function expireApprovals(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<{ id: string; livemode: boolean }[]> {
  const result = await db.query<{ id: string; livemode: boolean }>(
    `UPDATE approvals SET status = 'expired', decided_at = $1, decided_by = 'system:worker'
     WHERE id IN (SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= $1
                  ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING id, livemode`,
    [now, limit],
  );
  return result.rows;
}
