import { type ClockScope, real_time, scopeParams, walletInScope } from '../clocks/scope.js';
import type { Client } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { recordRowEvents } from '../events/index.js';
import type { NewJob } from '../jobs/queue.js';
import type { RailStep } from '../rails/rail.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import { creditPayment, settlePayments } from './credit.js';
import { type PaymentRow, paymentView } from './view.js';

export const payment_update_job = 'payment.rail_update';

/** A status the rail reports for a pay-in: a confirmation seen, or the final outcome. */
export interface PaymentUpdate {
  readonly status: 'confirming' | 'succeeded' | 'failed';
  readonly failure_code?: string | undefined;
  /** How many confirmations the chain shows now, where the rail counts them (the EVM watcher). */
  readonly confirmations?: number | undefined;
}

/** The rail's future steps as jobs; the dedupe key makes a step scheduled twice run once. */
export function paymentStepJobs(payment_id: string, steps: readonly RailStep[], now: Date): NewJob[] {
  return steps.map((step, index) => ({
    kind: payment_update_job,
    dedupe_key: `payment:${payment_id}:step:${index}`,
    payload: { payment_id, status: step.status, failure_code: step.failure_code },
    run_at: new Date(now.getTime() + step.after_ms),
  }));
}

/**
 * Applies what the rail reported to a processing payment, under the payment's row lock. A report
 * about a payment that has already succeeded or failed changes nothing: rails repeat themselves,
 * and the money must move once. Returns the row as it stands afterwards.
 */
export async function applyPaymentUpdate(
  db: Client,
  livemode: boolean,
  payment_id: string,
  update: PaymentUpdate,
  now: Date,
): Promise<Result<PaymentRow>> {
  const row = await rowById<PaymentRow>(db, 'payments', livemode, payment_id, { for_update: true });
  if (row === undefined) return fail(notFound('payment', payment_id));
  if (row.status !== 'processing') return ok(row);
  if (update.status === 'confirming') {
    if (row.confirmations_required === null) return ok(row);
    const seen = Math.min(
      update.confirmations ?? (row.confirmations ?? 0) + 1,
      (row.confirmations_required ?? 1) - 1,
    );
    return ok(await savePayment(db, payment_id, { confirmations: seen }, now));
  }
  if (update.status === 'failed')
    return ok(
      await savePayment(
        db,
        payment_id,
        { status: 'failed', failure_code: update.failure_code ?? 'could_not_process' },
        now,
      ),
    );
  const credited = await creditPayment(db, row, now);
  if (!credited.outcome.ok) return fail(credited.outcome.error);
  return ok(
    await savePayment(
      db,
      payment_id,
      {
        status: 'succeeded',
        confirmations: row.confirmations_required,
        settles_at: credited.settles_at,
        settled_at: credited.settled_at,
      },
      now,
    ),
  );
}

async function savePayment(
  db: Client,
  id: string,
  changes: Partial<
    Pick<PaymentRow, 'status' | 'failure_code' | 'confirmations' | 'settles_at' | 'settled_at'>
  >,
  now: Date,
): Promise<PaymentRow> {
  const columns = Object.keys(changes);
  const assignments = columns.map((column, index) => `${column} = $${index + 3}`);
  const result = await db.query<PaymentRow>(
    `UPDATE payments SET ${[...assignments, 'updated_at = $2'].join(', ')} WHERE id = $1 RETURNING *`,
    [id, now, ...Object.values(changes)],
  );
  const row = result.rows[0];
  assert(row !== undefined, 'payment exists');
  // A change of status is an event; a confirmation seen is not.
  if (changes.status !== undefined)
    await recordRowEvents(db, [row], paymentView, (view) => `payment.${view.status}`, now);
  return row;
}

/** The worker's job: a rail step that is due. A refusal (a frozen wallet) throws, so it is retried. */
export async function runPaymentUpdateJob(
  db: Client,
  payload: Record<string, unknown>,
  now: Date,
): Promise<void> {
  const payment_id = String(payload.payment_id);
  const found = await db.query<{ livemode: boolean }>('SELECT livemode FROM payments WHERE id = $1', [
    payment_id,
  ]);
  const livemode = found.rows[0]?.livemode;
  if (livemode === undefined) return;
  const update: PaymentUpdate = {
    status: payload.status as PaymentUpdate['status'],
    failure_code: typeof payload.failure_code === 'string' ? payload.failure_code : undefined,
  };
  const result = await applyPaymentUpdate(db, livemode, payment_id, update, now);
  if (!result.ok) throw new Error(`payment ${payment_id}: ${result.error.detail}`);
}

/** Settles payments whose settlement time has come, a batch at a time; SKIP LOCKED shares the work. */
export async function settleDuePayments(
  db: Client,
  now: Date,
  limit: number,
  scope: ClockScope = real_time,
): Promise<number> {
  const due = await db.query<PaymentRow>(
    `SELECT * FROM payments WHERE status = 'succeeded' AND settled_at IS NULL AND settles_at <= $1
       AND ${walletInScope('payments.wallet_id', scope, 3)}
     ORDER BY settles_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, limit, ...scopeParams(scope)],
  );
  return (await settlePayments(db, due.rows, now)).length;
}

/** Test mode: settles every pending payment into a wallet now, as if its delay had passed. */
export async function settleWalletNow(
  db: Client,
  livemode: boolean,
  wallet_id: string,
  now: Date,
): Promise<Result<number>> {
  const due = await db.query<PaymentRow>(
    `SELECT * FROM payments WHERE wallet_id = $1 AND livemode = $2 AND status = 'succeeded' AND settled_at IS NULL
     ORDER BY id FOR UPDATE`,
    [wallet_id, livemode],
  );
  const settled = await settlePayments(db, due.rows, now);
  if (settled.length < due.rows.length) return fail(notSettled(wallet_id));
  return ok(settled.length);
}

function notSettled(wallet_id: string): DomainError {
  return domainError('wallet_frozen', `Wallet ${wallet_id} cannot receive settled funds now.`, 'wallet_id');
}
