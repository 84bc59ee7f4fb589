import type { Queryable } from './pool.js';

/** Tables whose rows are looked up, and locked, by id within one mode. */
type ModeTable =
  | 'api_keys'
  | 'approvals'
  | 'audit_logs'
  | 'challenges'
  | 'escrows'
  | 'events'
  | 'holders'
  | 'payments'
  | 'payout_batches'
  | 'payout_files'
  | 'payouts'
  | 'refunds'
  | 'risk_rules'
  | 'transfers'
  | 'webhook_endpoints';

/**
 * The row of `table` with this id in this mode, or undefined. With `for_update`, locked until the
 * transaction ends: every state change of an object starts with this read.
 */
export async function rowById<Row extends object>(
  db: Queryable,
  table: ModeTable,
  livemode: boolean,
  id: string,
  options: { readonly for_update: boolean } = { for_update: false },
): Promise<Row | undefined> {
  const result = await db.query<Row>(
    `SELECT * FROM ${table} WHERE id = $1 AND livemode = $2${options.for_update ? ' FOR UPDATE' : ''}`,
    [id, livemode],
  );
  return result.rows[0];
}
