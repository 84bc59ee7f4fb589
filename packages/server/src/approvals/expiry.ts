import { appendAudit, worker_actor } from '../audit/append.js';
import type { Client } from '../db/pool.js';
import { expireApprovals } from './service.js';

/** The worker's task: expires overdue approvals, each with its audit entry, in one transaction. */
export async function expireDueApprovals(db: Client, now: Date, limit: number): Promise<number> {
  const expired = await expireApprovals(db, now, limit);
  await appendAudit(
    db,
    expired.map((approval) => ({
      livemode: approval.livemode,
      actor: worker_actor,
      action: 'approval.expired',
      object_id: approval.id,
      request_id: null,
      ip: null,
      outcome_status: 200,
      outcome_code: null,
      created_at: now,
    })),
  );
  return expired.length;
}
