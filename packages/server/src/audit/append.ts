import type { Queryable } from '../db/pool.js';
import { skippedForBench } from '../shared/bench-skips.js';
import { newId } from '../shared/ids.js';

/** One line of the audit trail: who did what to which object, and how it ended. */
export interface AuditEntry {
  readonly livemode: boolean;
  /** The API key id, or `system:worker` for the background worker's own actions. */
  readonly actor: string;
  /** `POST /v1/transfers` (method and route) for requests, `approval.expired` for the worker. */
  readonly action: string;
  readonly object_id: string | null;
  readonly request_id: string | null;
  readonly ip: string | null;
  readonly outcome_status: number;
  /** The problem code of a refused request; null on success. */
  readonly outcome_code: string | null;
  readonly created_at: Date;
}

export const worker_actor = 'system:worker';

/**
 * Writes entries inside the caller's transaction, in one round trip and without a lock, so they
 * commit (or not) with the change they record. The worker links them into the hash chain after
 * they commit (`sealAudit`).
 */
export async function appendAudit(db: Queryable, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0 || skippedForBench('audit')) return;
  const rows = entries.map((entry) => ({
    ...entry,
    id: newId('audit_log', entry.created_at.getTime()),
    created_at: entry.created_at.toISOString(),
  }));
  await db.query(
    `INSERT INTO audit_logs (id, livemode, actor, action, object_id, request_id, ip, outcome_status, outcome_code, created_at)
     SELECT e.id, e.livemode, e.actor, e.action, e.object_id, e.request_id, e.ip, e.outcome_status, e.outcome_code, e.created_at
     FROM jsonb_populate_recordset(NULL::audit_logs, $1::jsonb) AS e`,
    [JSON.stringify(rows)],
  );
}

/** What an audit entry says about a response: the object it made or touched, and its problem code. */
export function responseFacts(
  status: number,
  body: unknown,
): { object_id: string | null; outcome_code: string | null } {
  const parsed = typeof body === 'string' ? parseJson(body) : body;
  const record = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  const id = status < 400 && typeof record.id === 'string' ? record.id : null;
  const code = status >= 400 && typeof record.code === 'string' ? record.code : null;
  return { object_id: id, outcome_code: code };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
