import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { Client } from '../db/pool.js';
import { type EventType, recordRowEvents } from '../events/index.js';
import type { Movement } from '../ledger/entries.js';
import { writeEntries } from '../ledger/write.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { formatAmount, minorFromDb, parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { ReleaseBody } from './schemas.js';
import { lockEscrow, viewOf } from './service.js';
import { type DisputeOutcome, type EscrowRow, type EscrowView, escrowView, remainingOf } from './view.js';

/** Decides an escrow's next state from its locked current one, or refuses. */
type Decide = (row: EscrowRow) => Promise<Result<EscrowRow>> | Result<EscrowRow>;

/**
 * Every state change locks the escrow's row first (FOR UPDATE), decides on the locked state, and
 * writes the new state together with the ledger entry for the money it moves, in the caller's
 * transaction. Concurrent releases and cancels of one escrow therefore queue, and each sees what
 * the previous one left: together they can never pay out more than the amount.
 */
async function change(
  db: Client,
  livemode: boolean,
  id: string,
  reason: string,
  now: Date,
  decide: Decide,
): Promise<Result<EscrowView>> {
  const row = await lockEscrow(db, livemode, id);
  if (row === undefined) return fail(notFound('escrow', id));
  const next = await decide(row);
  if (!next.ok) return next;
  const written = await transition(db, row, next.value, reason, now);
  return written.ok ? viewOf(db, written.value) : written;
}

/** Pays a milestone, or an amount, to the payee. */
export async function releaseEscrow(
  db: Client,
  livemode: boolean,
  id: string,
  { milestone_id, amount }: Static<typeof ReleaseBody>,
  now: Date,
): Promise<Result<EscrowView>> {
  if ((milestone_id === undefined) === (amount === undefined))
    return fail(
      domainError('invalid_request', 'Give exactly one of milestone_id or amount.', 'milestone_id'),
    );
  return change(db, livemode, id, 'escrow.released', now, (row) => {
    const refusal = openRefusal(row);
    if (refusal !== undefined) return fail(refusal);
    return milestone_id === undefined ? releaseAmount(db, row, amount) : releaseMilestone(row, milestone_id);
  });
}

/** Ends the escrow: whatever remains goes back to the payer. */
export function cancelEscrow(
  db: Client,
  livemode: boolean,
  id: string,
  now: Date,
): Promise<Result<EscrowView>> {
  return change(db, livemode, id, 'escrow.canceled', now, (row) => {
    const refusal = openRefusal(row);
    return refusal === undefined ? ok(settleRemaining(row, 'payer')) : fail(refusal);
  });
}

/** Freezes the escrow: no release, cancel or automatic action until it is resolved. */
export function disputeEscrow(
  db: Client,
  livemode: boolean,
  id: string,
  reason: string,
  now: Date,
): Promise<Result<EscrowView>> {
  return change(db, livemode, id, 'escrow.disputed', now, (row) => {
    const refusal = openRefusal(row);
    if (refusal !== undefined) return fail(refusal);
    return ok({
      ...row,
      status: 'disputed',
      dispute_reason: reason,
      disputed_at: now,
      dispute_outcome: null,
      dispute_resolved_at: null,
    });
  });
}

/** Ends a dispute: release or refund everything remaining, or resume as held. */
export function resolveEscrow(
  db: Client,
  livemode: boolean,
  id: string,
  outcome: DisputeOutcome,
  now: Date,
): Promise<Result<EscrowView>> {
  return change(db, livemode, id, 'escrow.resolved', now, (row) => {
    const ended = endedRefusal(row);
    if (ended !== undefined) return fail(ended);
    if (row.status !== 'disputed')
      return fail(domainError('escrow_not_disputed', `Escrow ${row.id} is ${row.status}, not disputed.`));
    const resolved = { ...row, dispute_outcome: outcome, dispute_resolved_at: now };
    if (outcome === 'resume') return ok({ ...resolved, status: 'held' as const });
    return ok(settleRemaining(resolved, outcome === 'release' ? 'payee' : 'payer'));
  });
}

function endedRefusal(row: EscrowRow): DomainError | undefined {
  return row.status === 'released' || row.status === 'canceled'
    ? domainError('escrow_not_active', `Escrow ${row.id} is ${row.status}: it has ended.`)
    : undefined;
}

/** Release, cancel and dispute need an escrow that is held: not ended, not disputed. */
function openRefusal(row: EscrowRow): DomainError | undefined {
  if (row.status === 'disputed')
    return domainError('escrow_disputed', `Escrow ${row.id} is disputed: resolve it first.`);
  return endedRefusal(row);
}

function releaseMilestone(row: EscrowRow, milestone_id: string): Result<EscrowRow> {
  const milestone = row.milestones.find((candidate) => candidate.id === milestone_id);
  if (milestone === undefined) return fail(notFound('milestone', milestone_id, 'milestone_id'));
  if (milestone.status !== 'pending')
    return fail(
      domainError(
        'milestone_not_pending',
        `Milestone ${milestone_id} is already ${milestone.status}.`,
        'milestone_id',
      ),
    );
  const released = minorFromDb(row.released_amount) + minorFromDb(milestone.amount_minor);
  return ok({
    ...row,
    status: released === minorFromDb(row.amount) ? 'released' : 'held',
    released_amount: released.toString(),
    milestones: row.milestones.map((m) =>
      m.id === milestone_id ? { ...m, status: 'released' as const } : m,
    ),
  });
}

/** `amount_text` is checked by parseAmount, which refuses a missing one. */
async function releaseAmount(
  db: Client,
  row: EscrowRow,
  amount_text: string | undefined,
): Promise<Result<EscrowRow>> {
  if (row.milestones.length > 0)
    return fail(
      domainError('invalid_request', 'This escrow has milestones: release one by milestone_id.', 'amount'),
    );
  const scale = await assetScale(db, row.livemode, row.asset, 'currency');
  if (!scale.ok) return scale;
  const amount = parseAmount(amount_text, scale.value, 'amount');
  if (!amount.ok) return amount;
  const remaining = remainingOf(row);
  if (amount.value > remaining)
    return fail(
      domainError(
        'release_exceeds_remaining',
        `Only ${formatAmount(remaining, scale.value)} remains in escrow ${row.id}.`,
        'amount',
      ),
    );
  const released = minorFromDb(row.released_amount) + amount.value;
  return ok({
    ...row,
    status: amount.value === remaining ? 'released' : 'held',
    released_amount: released.toString(),
  });
}

/** Ends the escrow with everything remaining paid to one side; pending milestones follow it. */
export function settleRemaining(row: EscrowRow, toward: 'payee' | 'payer'): EscrowRow {
  const remaining = remainingOf(row);
  assert(remaining > 0n, 'an open escrow holds money');
  const to_payee = toward === 'payee';
  return {
    ...row,
    status: to_payee ? 'released' : 'canceled',
    released_amount: (minorFromDb(row.released_amount) + (to_payee ? remaining : 0n)).toString(),
    refunded_amount: (minorFromDb(row.refunded_amount) + (to_payee ? 0n : remaining)).toString(),
    milestones: row.milestones.map((m) =>
      m.status === 'pending' ? { ...m, status: to_payee ? ('released' as const) : ('canceled' as const) } : m,
    ),
  };
}

/**
 * Writes `after` over `before`, with one ledger entry moving the difference out of escrow: newly
 * released money to the payee, newly refunded money to the payer. Deriving the money from the
 * state keeps the two in step; a refusal by the ledger (a frozen or closed wallet) writes nothing.
 */
/** The event each kind of change records; automatic settlement reads as a release or a cancel. */
const escrow_events: Readonly<Record<string, EventType>> = {
  'escrow.released': 'escrow.released',
  'escrow.auto_released': 'escrow.released',
  'escrow.canceled': 'escrow.canceled',
  'escrow.auto_refunded': 'escrow.canceled',
  'escrow.disputed': 'escrow.disputed',
  'escrow.resolved': 'escrow.resolved',
};

export async function transition(
  db: Client,
  before: EscrowRow,
  after: EscrowRow,
  reason: string,
  now: Date,
): Promise<Result<EscrowRow>> {
  const released = minorFromDb(after.released_amount) - minorFromDb(before.released_amount);
  const refunded = minorFromDb(after.refunded_amount) - minorFromDb(before.refunded_amount);
  assert(released >= 0n && refunded >= 0n, 'settled money never comes back');
  const movements: Movement[] = [];
  const from = before.escrow_account_id;
  if (released > 0n)
    movements.push({ from, to: before.payee_wallet_id, amount_minor: released, layer: 'posted' });
  if (refunded > 0n)
    movements.push({ from, to: before.payer_wallet_id, amount_minor: refunded, layer: 'posted' });
  if (movements.length > 0) {
    const [outcome] = await writeEntries(
      db,
      [{ livemode: before.livemode, reason, reference_id: before.id, movements }],
      now,
    );
    assert(outcome !== undefined, 'one entry, one outcome');
    if (!outcome.ok) return fail(outcome.error);
  }
  const updated = await db.query<EscrowRow>(
    `UPDATE escrows SET status = $2, released_amount = $3, refunded_amount = $4, milestones = $5, dispute_reason = $6,
       disputed_at = $7, dispute_outcome = $8, dispute_resolved_at = $9, auto_retry_at = NULL, updated_at = $10
     WHERE id = $1 AND status = $11 AND released_amount = $12 AND refunded_amount = $13 RETURNING *`,
    [
      before.id,
      after.status,
      after.released_amount,
      after.refunded_amount,
      JSON.stringify(after.milestones),
      after.dispute_reason,
      after.disputed_at,
      after.dispute_outcome,
      after.dispute_resolved_at,
      now,
      before.status,
      before.released_amount,
      before.refunded_amount,
    ],
  );
  // The row must still be what was decided on; only a change made without the row lock could
  // differ, and then nothing is written (the bug rolls the whole transaction back).
  const row = updated.rows[0];
  assert(row !== undefined, `escrow ${before.id} changed under its lock`);
  const type = escrow_events[reason];
  assert(type !== undefined, `escrow change ${reason} has an event type`);
  await recordRowEvents(db, [row], escrowView, () => type, now);
  return ok(row);
}
