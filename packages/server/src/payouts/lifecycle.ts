import type { Client } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { type EventType, recordRowEvents } from '../events/index.js';
import { markReversed } from '../fx/conversions.js';
import type { NewJob } from '../jobs/queue.js';
import { systemAccountId } from '../ledger/accounts.js';
import type { Movement } from '../ledger/entries.js';
import { writeEntries } from '../ledger/write.js';
import { failure_codes, isFailureCode } from '../rails/failure-codes.js';
import { clearingAccount } from '../rails/index.js';
import type { RailStep } from '../rails/rail.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { minorFromDb } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import { type PayoutRow, type PayoutView, payoutView } from './view.js';

export const payout_update_job = 'payout.rail_update';

type Status = PayoutView['status'];

/** The statuses a payout may move to from each status; anything else is refused or ignored. */
const next_statuses: Readonly<Record<Status, readonly Status[]>> = {
  pending: ['in_transit', 'failed'],
  in_transit: ['paid', 'failed'],
  paid: ['returned'],
  failed: [],
  returned: [],
  canceled: [],
};

/** How far along each status is, so a report of an earlier step, repeated or late, is a no-op. */
const progress: Readonly<Record<Status, number>> = {
  pending: 0,
  in_transit: 1,
  paid: 2,
  failed: 3,
  returned: 3,
  // Canceled before it left Purse: whatever the rail reports later is about nothing it holds.
  canceled: 4,
};

/**
 * Whether a report changes nothing: the same status, or one the payout has passed. A return after
 * a failure is not stale but refused (a failed payout was never paid); after a cancel, everything
 * is stale.
 */
function isStale(current: Status, reported: Status): boolean {
  if (current === reported || current === 'canceled') return true;
  return progress[current] >= progress[reported] && reported !== 'returned';
}

export interface PayoutUpdate {
  readonly status: Status;
  readonly failure_code?: string | undefined;
  /** The rail's own words, e.g. an ISO 20022 return reason code. */
  readonly failure_message?: string | undefined;
}

export function payoutStepJobs(payout_id: string, steps: readonly RailStep[], now: Date): NewJob[] {
  return steps.map((step, index) => ({
    kind: payout_update_job,
    dedupe_key: `payout:${payout_id}:step:${index}`,
    payload: { payout_id, status: step.status, failure_code: step.failure_code },
    run_at: new Date(now.getTime() + step.after_ms),
  }));
}

/**
 * Moves a payout along as its rail reports, under the payout's row lock. Failed and returned put
 * the amount back in the wallet, in the same transaction as the status change, so however often a
 * rail repeats a report the money comes back once. A report of a step already taken (or passed)
 * changes nothing; a transition the status does not allow is `invalid_state`.
 */
export async function applyPayoutUpdate(
  db: Client,
  livemode: boolean,
  payout_id: string,
  update: PayoutUpdate,
  now: Date,
): Promise<Result<PayoutRow>> {
  const row = await rowById<PayoutRow>(db, 'payouts', livemode, payout_id, { for_update: true });
  if (row === undefined) return fail(notFound('payout', payout_id));
  if (isStale(row.status, update.status)) return ok(row);
  if (!next_statuses[row.status].includes(update.status))
    return fail(
      domainError('invalid_state', `Payout ${row.id} is ${row.status}; it cannot become ${update.status}.`),
    );
  if (update.status === 'failed' || update.status === 'returned') {
    const returned = await returnToWallet(db, row, `payout.${update.status}`, now);
    if (!returned.ok) return returned;
  }
  const failure_code =
    update.status === 'failed' || update.status === 'returned' ? failureCodeOf(update.failure_code) : null;
  const updated = await db.query<PayoutRow>(
    `UPDATE payouts SET status = $2, failure_code = $3, failure_message = $4, paid_at = CASE WHEN $2 = 'paid' THEN $5 ELSE paid_at END,
       updated_at = $5 WHERE id = $1 RETURNING *`,
    [
      row.id,
      update.status,
      failure_code,
      failure_code === null ? null : (update.failure_message ?? failure_codes[failure_code]),
      now,
    ],
  );
  assert(updated.rows[0] !== undefined, 'payout exists');
  await recordRowEvents(db, updated.rows, payoutView, () => `payout.${update.status}` as EventType, now);
  return ok(updated.rows[0]);
}

/**
 * Puts a payout's money back in its wallet (failed, returned, canceled), in the caller's
 * transaction and under its lock on the payout's row; a converted payout's conversion is reversed.
 */
export async function returnToWallet(
  db: Client,
  row: PayoutRow,
  reason: string,
  now: Date,
): Promise<Result<undefined>> {
  const movements = await returnMovements(db, row);
  const entry = { livemode: row.livemode, reason, reference_id: row.id, movements };
  const [outcome] = await writeEntries(db, [entry], now);
  assert(outcome !== undefined, 'one entry, one outcome');
  if (!outcome.ok) return fail(outcome.error);
  if (row.conversion_id !== null) await markReversed(db, row.conversion_id, now);
  return ok(undefined);
}

/**
 * What puts a failed, returned or canceled payout's money back: out of the rail's clearing account into the
 * wallet; for a payout that converted on its way, its conversion undone at the same terms (the
 * wallet gets back what it paid, in its own currency, and the platform returns the spread).
 */
async function returnMovements(db: Client, row: PayoutRow): Promise<Movement[]> {
  const clearing = systemAccountId(row.livemode, row.asset, clearingAccount(row.rail));
  const amount_minor = minorFromDb(row.amount);
  if (row.conversion_id === null)
    return [{ from: clearing, to: row.wallet_id, amount_minor, layer: 'posted' }];
  const found = await db.query<{ source_asset: string; source_amount: string; spread_amount: string }>(
    'SELECT source_asset, source_amount::text, spread_amount::text FROM conversions WHERE id = $1',
    [row.conversion_id],
  );
  const conversion = found.rows[0];
  assert(conversion !== undefined, 'a payout names an existing conversion');
  const account = (asset: string, purpose: 'fx_position' | 'fx_spread') =>
    systemAccountId(row.livemode, asset, purpose);
  const movements: Movement[] = [
    { from: clearing, to: account(row.asset, 'fx_position'), amount_minor, layer: 'posted' },
    {
      from: account(conversion.source_asset, 'fx_position'),
      to: row.wallet_id,
      amount_minor: minorFromDb(conversion.source_amount),
      layer: 'posted',
    },
  ];
  const spread_minor = minorFromDb(conversion.spread_amount);
  if (spread_minor > 0n)
    movements.push({
      from: account(row.asset, 'fx_spread'),
      to: account(row.asset, 'fx_position'),
      amount_minor: spread_minor,
      layer: 'posted',
    });
  return movements;
}

function failureCodeOf(code: string | undefined): keyof typeof failure_codes {
  return code !== undefined && isFailureCode(code) ? code : 'could_not_process';
}

/** The worker's job for a due rail step. A refusal (the wallet closed meanwhile) throws, to retry. */
export async function runPayoutUpdateJob(
  db: Client,
  payload: Record<string, unknown>,
  now: Date,
): Promise<void> {
  const payout_id = String(payload.payout_id);
  const found = await db.query<{ livemode: boolean }>('SELECT livemode FROM payouts WHERE id = $1', [
    payout_id,
  ]);
  const livemode = found.rows[0]?.livemode;
  if (livemode === undefined) return;
  const update = {
    status: payload.status as Status,
    failure_code: typeof payload.failure_code === 'string' ? payload.failure_code : undefined,
  };
  const result = await applyPayoutUpdate(db, livemode, payout_id, update, now);
  if (!result.ok && result.error.code !== 'invalid_state')
    throw new Error(`payout ${payout_id}: ${result.error.detail}`);
}
