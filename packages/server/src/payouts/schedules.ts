import { type Static, Type } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import { type ClockScope, real_time, scopeParams, walletInScope, walletTime } from '../clocks/scope.js';
import { detokenizeInstrument, type TokenizedInstrument, tokenizeInstrument } from '../crypto/tokens.js';
import { inTransaction, type Queryable } from '../db/pool.js';
import { eventOf, recordEvents } from '../events/index.js';
import { payoutMovements } from '../guard/movements-of.js';
import { screenMovements, unattendedRequest } from '../guard/screen.js';
import { Amount } from '../http/money-schemas.js';
import { Timestamp } from '../http/schemas.js';
import { accountState, findWallet } from '../ledger/accounts.js';
import { availableOf } from '../ledger/entries.js';
import type { RailContext } from '../rails/index.js';
import { payOut } from '../rails/index.js';
import type { PayoutDestination } from '../rails/rail.js';
import { MaskedInstrument, PayoutDestinationSchema } from '../rails/schemas.js';
import { screenAndApply } from '../requests/screening.js';
import { enabledRules } from '../risk/rules.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { formatAmount, minorFromDb, parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import { type CreatePayoutInput, createPayout } from './service.js';
import { type PayoutView, viewWithToken } from './view.js';

const Interval = Type.Union([Type.Literal('daily'), Type.Literal('weekly'), Type.Literal('monthly')]);

export const PayoutScheduleBody = Type.Object(
  {
    interval: Interval,
    anchor: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 28,
        description: 'weekly: 1 (Monday) to 7; monthly: day 1 to 28.',
      }),
    ),
    minimum_balance: Type.Optional(Amount),
    destination: PayoutDestinationSchema,
  },
  {
    additionalProperties: false,
    examples: [
      {
        interval: 'weekly',
        anchor: 5,
        minimum_balance: '50.00',
        destination: {
          type: 'bank_account',
          account_holder_name: 'Ada Lovelace',
          account_number: '000123456789',
          routing_number: '110000000',
        },
      },
    ],
  },
);

export const PayoutSchedule = Type.Object(
  {
    id: Type.String({ examples: ['posch_01jd0w3n3w8m5t5vq6fz1y2k3h'] }),
    object: Type.Literal('payout_schedule'),
    livemode: Type.Boolean(),
    wallet_id: Type.String(),
    interval: Interval,
    anchor: Type.Union([Type.Integer(), Type.Null()]),
    minimum_balance: Type.String({ examples: ['50.00'] }),
    destination: MaskedInstrument,
    next_run_at: Timestamp,
    last_payout_id: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'PayoutSchedule' },
);

type ScheduleView = Static<typeof PayoutSchedule>;
type Input = Static<typeof PayoutScheduleBody>;

interface ScheduleRow {
  id: string;
  livemode: boolean;
  wallet_id: string;
  interval: Input['interval'];
  anchor: number | null;
  minimum_balance: string;
  /** A card or bank account behind its token (detokenized for each run and view). */
  destination: PayoutDestination | TokenizedInstrument;
  next_run_at: Date;
  last_payout_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const day_ms = 86_400_000;

/** The first run strictly after `after`, at 00:00 UTC: the next day, weekday or day of month. */
export function nextRunAt(interval: Input['interval'], anchor: number | null, after: Date): Date {
  const midnight = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate());
  if (interval === 'daily') return new Date(midnight + day_ms);
  if (interval === 'weekly') {
    const weekday = ((new Date(midnight).getUTCDay() + 6) % 7) + 1;
    const ahead_days = ((anchor ?? 1) - weekday + 7) % 7 || 7;
    return new Date(midnight + ahead_days * day_ms);
  }
  const this_month = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), anchor ?? 1);
  return this_month > after.getTime()
    ? new Date(this_month)
    : new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth() + 1, anchor ?? 1));
}

function scheduleView(
  row: ScheduleRow,
  scale: number,
  destination_view: Record<string, string>,
): ScheduleView {
  return {
    id: row.id,
    object: 'payout_schedule',
    livemode: row.livemode,
    wallet_id: row.wallet_id,
    interval: row.interval,
    anchor: row.anchor,
    minimum_balance: formatAmount(minorFromDb(row.minimum_balance), scale),
    destination: destination_view,
    next_run_at: row.next_run_at.toISOString(),
    last_payout_id: row.last_payout_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** Sets (or replaces) a wallet's payout schedule: pay out the available balance above a minimum. */
export async function setPayoutSchedule(
  ctx: RailContext,
  wallet_id: string,
  input: Input,
): Promise<Result<ScheduleView>> {
  const { db, livemode, now } = ctx;
  const wallet = await findWallet(db, livemode, wallet_id);
  if (wallet === undefined) return fail(notFound('wallet', wallet_id));
  if (
    (input.interval === 'daily') !== (input.anchor === undefined) ||
    (input.interval === 'weekly' && (input.anchor ?? 0) > 7)
  )
    return fail(
      domainError(
        'invalid_request',
        'daily takes no anchor; weekly takes 1 to 7; monthly takes 1 to 28.',
        'anchor',
      ),
    );
  const scale = await assetScale(db, livemode, wallet.asset, 'currency');
  if (!scale.ok) return scale;
  const minimum =
    input.minimum_balance === undefined
      ? ok(0n)
      : parseAmount(input.minimum_balance, scale.value, 'minimum_balance');
  if (!minimum.ok) return minimum;
  const rail = payOut(ctx.rails, livemode, input.destination, wallet.asset);
  if (!rail.ok) return rail;
  const anchor = input.anchor ?? null;
  const result = await db.query<ScheduleRow>(
    `INSERT INTO payout_schedules (id, livemode, wallet_id, interval, anchor, minimum_balance, destination, next_run_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
     ON CONFLICT (wallet_id) DO UPDATE SET interval = $4, anchor = $5, minimum_balance = $6, destination = $7, next_run_at = $8, updated_at = $9
     RETURNING *`,
    [
      newId('payout_schedule', now.getTime()),
      livemode,
      wallet.id,
      input.interval,
      anchor,
      minimum.value.toString(),
      await tokenizeInstrument(db, livemode, input.destination, now),
      // A wallet of a holder with a test clock runs on the clock's time.
      nextRunAt(input.interval, anchor, await walletTime(db, livemode, wallet.id, now)),
      now,
    ],
  );
  assert(result.rows[0] !== undefined, 'schedule saved');
  const saved = result.rows[0];
  const view = scheduleView(
    saved,
    scale.value,
    viewWithToken(rail.value.destination_view, saved.destination),
  );
  await recordEvents(db, [eventOf('payout_schedule.updated', view)], now);
  return ok(view);
}

/** What reading a schedule needs: no transaction, as a GET has none. */
type ScheduleReader = Pick<RailContext, 'livemode' | 'rails'> & { readonly db: Queryable };

export async function getPayoutSchedule(
  ctx: ScheduleReader,
  wallet_id: string,
): Promise<Result<ScheduleView>> {
  const row = await scheduleOf(ctx.db, ctx.livemode, wallet_id);
  if (row === undefined) return fail(notFound('payout schedule for wallet', wallet_id));
  return viewOf(ctx, row);
}

export async function deletePayoutSchedule(
  ctx: RailContext,
  wallet_id: string,
): Promise<Result<ScheduleView>> {
  const row = await scheduleOf(ctx.db, ctx.livemode, wallet_id);
  if (row === undefined) return fail(notFound('payout schedule for wallet', wallet_id));
  await ctx.db.query('UPDATE payouts SET schedule_id = NULL WHERE schedule_id = $1', [row.id]);
  await ctx.db.query('DELETE FROM payout_schedules WHERE id = $1', [row.id]);
  const view = await viewOf(ctx, row);
  if (view.ok) await recordEvents(ctx.db, [eventOf('payout_schedule.deleted', view.value)], ctx.now);
  return view;
}

async function scheduleOf(
  db: Queryable,
  livemode: boolean,
  wallet_id: string,
): Promise<ScheduleRow | undefined> {
  const found = await db.query<ScheduleRow>(
    'SELECT * FROM payout_schedules WHERE wallet_id = $1 AND livemode = $2',
    [wallet_id, livemode],
  );
  return found.rows[0];
}

async function viewOf(ctx: ScheduleReader, row: ScheduleRow): Promise<Result<ScheduleView>> {
  const wallet = await findWallet(ctx.db, ctx.livemode, row.wallet_id);
  assert(wallet !== undefined, 'a schedule has its wallet');
  const scale = await assetScale(ctx.db, ctx.livemode, wallet.asset, 'currency');
  if (!scale.ok) return scale;
  const destination = await detokenizeInstrument(ctx.db, ctx.livemode, row.destination);
  const rail = payOut(ctx.rails, ctx.livemode, destination, wallet.asset);
  const view = rail.ok
    ? viewWithToken(rail.value.destination_view, row.destination)
    : { type: destination.type };
  return ok(scheduleView(row, scale.value, view));
}

/**
 * Runs one schedule now: pays out the available balance above the minimum (if any), then sets the
 * next run. Called for due schedules by the worker, under the schedule's row lock.
 */
export async function runPayoutSchedule(ctx: RailContext, row: ScheduleRow): Promise<string | null> {
  const { db, now } = ctx;
  const wallet = await findWallet(db, row.livemode, row.wallet_id);
  assert(wallet !== undefined, 'a schedule has its wallet');
  const scale = await assetScale(db, row.livemode, wallet.asset, 'currency');
  assert(scale.ok, 'a wallet has a known asset');
  const payable = availableOf(accountState(wallet)) - minorFromDb(row.minimum_balance);
  let payout_id: string | null = null;
  if (payable > 0n && wallet.status === 'active') {
    const created = await screenedPayout(ctx, row, {
      wallet_id: wallet.id,
      amount: formatAmount(payable, scale.value),
      currency: wallet.asset,
      destination: await detokenizeInstrument(db, row.livemode, row.destination),
      description: 'Scheduled payout',
    });
    if (created.ok) payout_id = created.value.id;
  }
  await db.query(
    'UPDATE payout_schedules SET next_run_at = $2, last_payout_id = COALESCE($3, last_payout_id), updated_at = $4 WHERE id = $1',
    [row.id, nextRunAt(row.interval, row.anchor, now), payout_id, now],
  );
  return payout_id;
}

/**
 * Creates the schedule's payout screened by the risk rules of its mode, as a request would be. No
 * key asks for it, so there are no restrictions or spend policy to apply (setting a schedule is
 * closed to keys with either); the schedule stands in for the key in velocity counts and risk
 * decisions. A payout the rules block, or would send for review (an approval runs as the key that
 * asked, and there is none), is not created: the decisions name the schedule, and it tries again
 * at its next run. Screening and payout share one savepoint, so a refusal leaves nothing behind.
 */
async function screenedPayout(
  ctx: RailContext,
  row: ScheduleRow,
  input: CreatePayoutInput,
): Promise<Result<PayoutView>> {
  const { db, now } = ctx;
  const guard = unattendedRequest(
    { livemode: row.livemode, object_id: row.id, now },
    'POST /v1/wallets/:id/payout_schedule',
    { id: row.wallet_id },
    input,
  );

  const applied = await screenAndApply(
    db,
    'scheduled_payout',
    async () => {
      const rules = await enabledRules(db, row.livemode);
      if (rules.length === 0) return { verdict: 'proceed', after: async () => undefined };
      const movements = await payoutMovements(db, row.livemode, [input], false);
      return screenMovements(db, guard, rules, movements, (payout: PayoutView) => [payout.id]);
    },
    () => createPayout({ ...ctx, livemode: row.livemode }, input, { schedule_id: row.id }),
  );
  assert(applied.verdict !== 'park', 'an unattended payout is blocked, never parked');
  return applied.verdict === 'ran' ? applied.result : fail(applied.error);
}

/**
 * The worker's task: every schedule that is due, up to `limit`, each in its own transaction (SKIP
 * LOCKED shares the work between workers). One transaction per schedule keeps the lock order of a
 * request: a payout takes its risk locks before its account rows, which a transaction that had
 * already paid out for another schedule would not; and one schedule's failure stops no other.
 */
export async function runDueSchedules(
  ctx: Omit<RailContext, 'livemode' | 'db'>,
  limit: number,
  scope: ClockScope = real_time,
): Promise<number> {
  const due = await ctx.pool.query<{ id: string }>(
    `SELECT id FROM payout_schedules WHERE next_run_at <= $1 AND ${walletInScope('payout_schedules.wallet_id', scope, 3)}
     ORDER BY next_run_at LIMIT $2`,
    [ctx.now, limit, ...scopeParams(scope)],
  );
  let ran = 0;
  for (const { id } of due.rows)
    ran += await inTransaction(ctx.pool, async (db) => {
      const locked = await db.query<ScheduleRow>(
        'SELECT * FROM payout_schedules WHERE id = $1 AND next_run_at <= $2 FOR UPDATE SKIP LOCKED',
        [id, ctx.now],
      );
      const row = locked.rows[0];
      if (row === undefined) return 0;
      await runPayoutSchedule({ ...ctx, db, livemode: row.livemode }, row);
      return 1;
    });
  return ran;
}

/** Test mode: runs a wallet's schedule now, whatever its next run time. */
export async function runScheduleNow(ctx: RailContext, wallet_id: string): Promise<Result<ScheduleView>> {
  const found = await ctx.db.query<ScheduleRow>(
    'SELECT * FROM payout_schedules WHERE wallet_id = $1 AND livemode = $2 FOR UPDATE',
    [wallet_id, ctx.livemode],
  );
  const row = found.rows[0];
  if (row === undefined) return fail(notFound('payout schedule for wallet', wallet_id));
  await runPayoutSchedule(ctx, row);
  return getPayoutSchedule(ctx, wallet_id);
}
