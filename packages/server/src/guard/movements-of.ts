import { assetScale } from '../assets/service.js';
import type { Queryable } from '../db/pool.js';
import { targetFor } from '../fx/decimal.js';
import { currentMidRate } from '../fx/rates.js';
import { findWallet } from '../ledger/accounts.js';
import { depositTarget } from '../payments/deposits.js';
import { readRefundable } from '../refunds/service.js';
import { takeBackShares } from '../refunds/take-back.js';
import { formatAmount, parseAmount } from '../shared/money.js';
import { ok, type Result } from '../shared/result.js';
import type { Movement, Received } from './movement.js';

/**
 * How each money endpoint's request reads as movements. An invalid amount or unknown currency is
 * refused here with the very problem the endpoint would give; an unknown object (an escrow or
 * payment id) yields no movement and is left to the endpoint to answer 404.
 */
interface Leg {
  readonly source: string;
  readonly source_param: string;
  readonly destinations: readonly (string | undefined)[];
  readonly external: boolean;
  readonly inflow?: boolean;
  readonly currency: string;
  readonly amount: unknown;
  readonly prefix: string;
  readonly counts?: boolean;
  readonly arrived?: true;
  readonly received?: Received;
}

/** A leg whose amount is already known in minor units. */
type Paying = Omit<Leg, 'amount' | 'prefix'>;

function toMovement(leg: Paying, scale: number, amount_minor: bigint): Movement {
  return {
    source_wallet_id: leg.source,
    source_param: leg.source_param,
    destination_wallet_ids: leg.destinations.filter((id): id is string => id !== undefined),
    external: leg.external,
    inflow: leg.inflow ?? false,
    currency: leg.currency,
    scale,
    amount_minor,
    counts: leg.counts ?? true,
    ...(leg.arrived === undefined ? {} : { arrived: leg.arrived }),
    ...(leg.received === undefined ? {} : { received: leg.received }),
  };
}

async function movementOf(db: Queryable, livemode: boolean, leg: Leg): Promise<Result<Movement>> {
  const scale = await assetScale(db, livemode, leg.currency, `${leg.prefix}currency`);
  if (!scale.ok) return scale;
  const amount = parseAmount(leg.amount, scale.value, `${leg.prefix}amount`);
  if (!amount.ok) return amount;
  return ok(toMovement(leg, scale.value, amount.value));
}

async function all(db: Queryable, livemode: boolean, legs: readonly Leg[]): Promise<Result<Movement[]>> {
  const movements: Movement[] = [];
  for (const leg of legs) {
    const movement = await movementOf(db, livemode, leg);
    if (!movement.ok) return movement;
    movements.push(movement.value);
  }
  return ok(movements);
}

export interface TransferLike {
  source_wallet_id: string;
  destination_wallet_id?: string;
  destinations?: readonly { wallet_id: string }[];
  fee?: { wallet_id?: string };
  amount: string;
  currency: string;
  hold?: boolean;
}

function transferLeg(input: TransferLike, prefix: string): Leg {
  return {
    source: input.source_wallet_id,
    source_param: `${prefix}source_wallet_id`,
    destinations: [
      input.destination_wallet_id,
      ...(input.destinations ?? []).map((leg) => leg.wallet_id),
      input.fee?.wallet_id,
    ],
    external: false,
    currency: input.currency,
    amount: input.amount,
    prefix,
    // A hold only reserves the payer's money: it counts when captured, against the capturing key.
    counts: input.hold !== true,
  };
}

export async function transferMovements(
  db: Queryable,
  livemode: boolean,
  inputs: readonly (TransferLike & { quote_id?: string })[],
  batch: boolean,
) {
  const legs: Leg[] = [];
  for (const [index, input] of inputs.entries()) {
    const leg = transferLeg(input, batch ? `transfers.${index}.` : '');
    // A transfer that converts on its way: its payee receives the quote's target side.
    const quoted = input.quote_id === undefined ? undefined : await quotedSides(db, livemode, input.quote_id);
    legs.push(quoted === undefined ? leg : { ...leg, received: quoted.received });
  }
  return all(db, livemode, legs);
}

interface PayoutLike {
  wallet_id: string;
  amount: string;
  currency: string;
  quote_id?: string;
}

/**
 * Money out of Purse. A payout that converts on its way (a quote) is counted in what leaves the
 * wallet, the quote's source side (an unknown quote fails its item with 404).
 */
export async function payoutMovements(
  db: Queryable,
  livemode: boolean,
  inputs: readonly PayoutLike[],
  batch: boolean,
) {
  const legs: Leg[] = [];
  for (const [index, input] of inputs.entries()) {
    const prefix = batch ? `payouts.${index}.` : '';
    // An unknown quote keeps the item's own figures, so items and movements stay aligned.
    const quoted = input.quote_id === undefined ? undefined : await quotedSides(db, livemode, input.quote_id);
    const paid = quoted?.paid ?? input;
    legs.push({
      source: input.wallet_id,
      source_param: `${prefix}wallet_id`,
      destinations: [],
      external: true,
      currency: paid.currency,
      amount: paid.amount,
      prefix,
    });
  }
  return all(db, livemode, legs);
}

/** What a quote takes from its payer (source currency, wire amount) and what its payee receives. */
async function quotedSides(
  db: Queryable,
  livemode: boolean,
  quote_id: string,
): Promise<{ paid: { currency: string; amount: string }; received: Received } | undefined> {
  const found = await db.query<{
    source_asset: string;
    source_amount: string;
    target_asset: string;
    target_amount: string;
  }>(
    `SELECT source_asset, source_amount::text, target_asset, target_amount::text FROM fx_quotes
     WHERE id = $1 AND livemode = $2`,
    [quote_id, livemode],
  );
  const quote = found.rows[0];
  if (quote === undefined) return undefined;
  const source_scale = await assetScale(db, livemode, quote.source_asset, 'quote_id');
  const target_scale = await assetScale(db, livemode, quote.target_asset, 'quote_id');
  if (!source_scale.ok || !target_scale.ok) return undefined;
  return {
    paid: {
      currency: quote.source_asset,
      amount: formatAmount(BigInt(quote.source_amount), source_scale.value),
    },
    received: {
      currency: quote.target_asset,
      scale: target_scale.value,
      amount_minor: BigInt(quote.target_amount),
    },
  };
}

interface PaymentLike {
  wallet_id: string;
  amount: string;
  currency: string;
  fee?: { wallet_id?: string };
  splits?: readonly { wallet_id: string }[];
}

/**
 * A pay-in brings money from outside Purse into its wallet, its splits and the fee wallet: an
 * inflow, screened like any movement (the wallet is the one a key must be allowed to use).
 */
export function paymentMovements(db: Queryable, livemode: boolean, input: PaymentLike) {
  return all(db, livemode, [
    {
      source: input.wallet_id,
      source_param: 'wallet_id',
      destinations: [
        input.wallet_id,
        ...(input.splits ?? []).map((split) => split.wallet_id),
        input.fee?.wallet_id,
      ],
      external: false,
      inflow: true,
      currency: input.currency,
      amount: input.amount,
      prefix: '',
    },
  ]);
}

/** A simulated crypto deposit is a pay-in into the wallet its address belongs to. */
export async function depositMovements(
  db: Queryable,
  livemode: boolean,
  input: { address: string; amount: string },
) {
  const target = await depositTarget(db, livemode, input.address);
  if (target === undefined) return ok([]);
  return all(db, livemode, [
    {
      source: target.wallet_id,
      source_param: 'address',
      destinations: [target.wallet_id],
      external: false,
      inflow: true,
      currency: target.asset,
      amount: input.amount,
      prefix: '',
      arrived: true,
    },
  ]);
}

export function escrowMovements(
  db: Queryable,
  livemode: boolean,
  input: { payer_wallet_id: string; payee_wallet_id: string; amount: string; currency: string },
) {
  return all(db, livemode, [
    {
      source: input.payer_wallet_id,
      source_param: 'payer_wallet_id',
      destinations: [input.payee_wallet_id],
      external: false,
      currency: input.currency,
      amount: input.amount,
      prefix: '',
    },
  ]);
}

/** A release pays the payee money the payer's escrow already holds: checked, not counted again. */
export async function releaseMovements(
  db: Queryable,
  livemode: boolean,
  id: string,
  input: { milestone_id?: string; amount?: string },
) {
  const found = await db.query<{
    payer_wallet_id: string;
    payee_wallet_id: string;
    asset: string;
    milestones: { id: string; amount_minor: string }[];
  }>(
    'SELECT payer_wallet_id, payee_wallet_id, asset, milestones FROM escrows WHERE id = $1 AND livemode = $2',
    [id, livemode],
  );
  const escrow = found.rows[0];
  const scale = escrow === undefined ? undefined : await assetScale(db, livemode, escrow.asset, 'currency');
  if (escrow === undefined || scale === undefined || !scale.ok) return ok([]);
  const milestone = escrow.milestones.find((item) => item.id === input.milestone_id);
  const amount =
    input.amount ??
    (milestone === undefined ? undefined : formatAmount(BigInt(milestone.amount_minor), scale.value));
  if (amount === undefined) return ok([]);
  return all(db, livemode, [
    {
      source: escrow.payer_wallet_id,
      source_param: 'id',
      destinations: [escrow.payee_wallet_id],
      external: false,
      currency: escrow.asset,
      amount,
      prefix: '',
      counts: false,
    },
  ]);
}

/**
 * A capture moves a hold's money to its destinations and fee wallet: checked like a transfer from
 * the hold's source and counted against the capturing key, whoever placed the hold. A transfer
 * that is not a pending hold yields no movement; the endpoint answers why.
 */
export async function captureMovements(
  db: Queryable,
  livemode: boolean,
  id: string,
  input: { amount?: string },
) {
  const found = await db.query<{
    source: string;
    destinations: (string | null)[];
    asset: string;
    amount: string;
  }>(
    `SELECT source_wallet_id AS source, asset, amount::text,
       ARRAY(SELECT leg->>'wallet_id' FROM jsonb_array_elements(destinations) leg) || fee_account_id AS destinations
     FROM transfers WHERE id = $1 AND livemode = $2 AND status = 'pending'`,
    [id, livemode],
  );
  const hold = found.rows[0];
  const scale = hold === undefined ? undefined : await assetScale(db, livemode, hold.asset, 'currency');
  if (hold === undefined || scale === undefined || !scale.ok) return ok([]);
  return all(db, livemode, [
    {
      source: hold.source,
      source_param: 'id',
      destinations: hold.destinations.filter((wallet): wallet is string => wallet !== null),
      external: false,
      currency: hold.asset,
      amount: input.amount ?? formatAmount(BigInt(hold.amount), scale.value),
      prefix: '',
    },
  ]);
}

/**
 * Settling what remains in an escrow, or deciding who may. To the payee (a dispute resolved as
 * `release`, checked like a release); back to the payer (cancel, `refund`): an inflow into the
 * payer's wallet, whose balance caps apply to it as to a pay-in. Neither counts: the payer's money
 * was counted when the escrow was funded. A dispute `resume`d moves nothing now but re-arms the
 * escrow's automatic settlement of the payer's money, so it needs the authority to settle the
 * payer's side: a movement from the payer that decides only (see Movement), toward the payee when
 * a release date is set, so a key fenced by its spend policy cannot re-arm a payment outside it.
 */
export async function escrowSettleMovements(
  db: Queryable,
  livemode: boolean,
  id: string,
  toward: 'payee' | 'payer' | 'resume',
) {
  const found = await db.query<{
    payer: string;
    payee: string;
    asset: string;
    remaining: string;
    releases: boolean;
  }>(
    `SELECT payer_wallet_id AS payer, payee_wallet_id AS payee, asset,
       (amount - released_amount - refunded_amount)::text AS remaining, auto_release_at IS NOT NULL AS releases
     FROM escrows WHERE id = $1 AND livemode = $2`,
    [id, livemode],
  );
  const escrow = found.rows[0];
  if (escrow === undefined || escrow.remaining === '0') return ok([]);
  const scale = await assetScale(db, livemode, escrow.asset, 'currency');
  if (!scale.ok) return ok([]);
  const leg: Paying = {
    source: escrow.payer,
    source_param: 'id',
    destinations:
      toward === 'payer' ? [escrow.payer] : toward === 'payee' || escrow.releases ? [escrow.payee] : [],
    external: false,
    inflow: toward === 'payer',
    currency: escrow.asset,
    counts: false,
  };
  const movement = toMovement(leg, scale.value, BigInt(escrow.remaining));
  return ok([toward === 'resume' ? { ...movement, decides_only: true as const } : movement]);
}

/**
 * A refund takes money back from every part of a payment or transfer that received some (the fee
 * account, each destination or split), in the shares `planTakeBack` will take (`takeBackShares`):
 * each part is a paying movement of its share, to the card or bank, or back to the transfer's
 * source, so restrictions, spend policy and risk rules see every wallet made to pay, the
 * platform's fee account included (a restricted key holds no system account, so it cannot refund
 * what paid a fee to one). A cover wallet pays too (whatever a part has spent, up to the whole
 * refund): a paying movement like any other. The refund's amount is counted once, over its parts.
 */
export async function refundMovements(
  db: Queryable,
  livemode: boolean,
  input: { payment_id?: string; transfer_id?: string; amount?: string; cover_wallet_id?: string },
) {
  if ((input.payment_id === undefined) === (input.transfer_id === undefined)) return ok([]);
  // Locked now, in the request's transaction: the shares must be those the refund will take.
  // Read unlocked, parallel refunds were each screened against the same remains and then split
  // over what the earlier ones left, so a leftover unit fell on a part the key may not use.
  const found = await readRefundable(db, livemode, input, { for_update: true });
  if (!found.ok) return ok([]);
  const original = found.value;
  const scale = await assetScale(db, livemode, original.asset, 'currency');
  if (!scale.ok) return ok([]);
  // Fully refunded, it is still screened as a full refund (a restricted key gets 404 rather than
  // learning it exists); the endpoint then refuses it.
  const holdings =
    original.total_minor === original.refunded_minor
      ? original.holdings.map((holding) => ({ ...holding, remaining_minor: holding.received_minor }))
      : original.holdings;
  const left = holdings.reduce((sum, holding) => sum + holding.remaining_minor, 0n);
  const asked = input.amount === undefined ? ok(left) : parseAmount(input.amount, scale.value, 'amount');
  if (!asked.ok) return asked;
  // Beyond what remains the endpoint refuses it: screened meanwhile as taking all that remains.
  // biome-ignore lint/complexity/useMathMinMax: Math.min takes no bigints.
  const amount_minor = asked.value < left ? asked.value : left;
  if (amount_minor === 0n) return ok([]);
  const back: Paying = {
    source: original.to,
    source_param: input.payment_id === undefined ? 'transfer_id' : 'payment_id',
    destinations: original.kind === 'transfer' ? [original.to] : [],
    external: original.kind === 'payment',
    currency: original.asset,
  };
  const shares = takeBackShares(holdings, amount_minor);
  const parts = holdings.flatMap((holding, index) => {
    const share = shares[index] ?? 0n;
    return share === 0n ? [] : [toMovement({ ...back, source: holding.account_id }, scale.value, share)];
  });
  const cover = input.cover_wallet_id;
  if (cover === undefined) return ok(parts);
  const covered = { ...back, source: cover, source_param: 'cover_wallet_id', counts: false };
  return ok([...parts, toMovement(covered, scale.value, amount_minor)]);
}

/**
 * A conversion pays out of its source wallet into the holder's target wallet: the source amount
 * is the quote's, or the request's at the current rate. An unknown quote yields no movement; the
 * endpoint answers 404.
 */
export async function conversionMovements(
  db: Queryable,
  livemode: boolean,
  input: { quote_id?: string; source_wallet_id: string; target_wallet_id: string; source_amount?: string },
) {
  const leg = {
    source: input.source_wallet_id,
    source_param: 'source_wallet_id',
    destinations: [input.target_wallet_id],
    external: false,
    prefix: '',
  };
  if (input.quote_id === undefined) {
    const wallet = await findWallet(db, livemode, input.source_wallet_id);
    if (wallet === undefined || input.source_amount === undefined) return ok([]);
    const paying = await all(db, livemode, [
      { ...leg, currency: wallet.asset, amount: input.source_amount, prefix: 'source_' },
    ]);
    const [movement] = paying.ok ? paying.value : [];
    if (movement === undefined) return paying;
    const received = await receivedAtMid(db, livemode, movement, input.target_wallet_id);
    return ok([received === undefined ? movement : { ...movement, received }]);
  }
  const quoted = await quotedSides(db, livemode, input.quote_id);
  return quoted === undefined
    ? ok([])
    : all(db, livemode, [{ ...leg, ...quoted.paid, received: quoted.received }]);
}

/**
 * What a conversion at the current rate will deliver, at the mid rate (before the spread, so at
 * least what arrives): an upper bound, so a cap on the receiving side can only refuse early.
 */
async function receivedAtMid(
  db: Queryable,
  livemode: boolean,
  paid: Movement,
  target_wallet_id: string,
): Promise<Received | undefined> {
  const target = await findWallet(db, livemode, target_wallet_id);
  if (target === undefined || target.asset === paid.currency) return undefined;
  const scale = await assetScale(db, livemode, target.asset, 'target_wallet_id');
  const now = new Date();
  const pair = { source: paid.currency, target: target.asset };
  const mid = await currentMidRate(db, livemode, pair, now, now.getTime());
  if (!scale.ok || !mid.ok) return undefined;
  const amount_minor = targetFor(paid.amount_minor, mid.value.rate, paid.scale, scale.value);
  return amount_minor > 0n ? { currency: target.asset, scale: scale.value, amount_minor } : undefined;
}

/**
 * Canceling a payout that has not left Purse: its money comes back to the payer's own wallet (in
 * the wallet's currency, what a converted payout paid), an inflow like an escrow's cancel, which
 * does not count (it was counted when the payout was made). A payout that cannot be canceled, or
 * an unknown one, moves nothing here and is left to the endpoint (409, 404).
 */
export async function payoutCancelMovements(db: Queryable, livemode: boolean, id: string) {
  const found = await db.query<{ wallet_id: string; asset: string; amount: string }>(
    `SELECT p.wallet_id, COALESCE(c.source_asset, p.asset) AS asset,
       COALESCE(c.source_amount, p.amount)::text AS amount
     FROM payouts p LEFT JOIN conversions c ON c.id = p.conversion_id
     WHERE p.id = $1 AND p.livemode = $2 AND p.status = 'pending'`,
    [id, livemode],
  );
  const payout = found.rows[0];
  if (payout === undefined) return ok([]);
  return payoutLeg(db, livemode, payout, { destinations: [payout.wallet_id], inflow: true, counts: false });
}

/**
 * Retrying a failed or returned payout pays the same amount out of the same wallet again: money
 * out of Purse, counted like POST /v1/payouts. One that cannot be retried moves nothing here.
 */
export async function payoutRetryMovements(db: Queryable, livemode: boolean, id: string) {
  const found = await db.query<{ wallet_id: string; asset: string; amount: string }>(
    `SELECT wallet_id, asset, amount::text AS amount FROM payouts
     WHERE id = $1 AND livemode = $2 AND status IN ('failed', 'returned') AND retried_by IS NULL`,
    [id, livemode],
  );
  const payout = found.rows[0];
  if (payout === undefined) return ok([]);
  return payoutLeg(db, livemode, payout, { destinations: [], external: true });
}

async function payoutLeg(
  db: Queryable,
  livemode: boolean,
  payout: { wallet_id: string; asset: string; amount: string },
  shape: Pick<Paying, 'destinations'> & Partial<Pick<Paying, 'external' | 'inflow' | 'counts'>>,
) {
  const scale = await assetScale(db, livemode, payout.asset, 'id');
  if (!scale.ok) return ok([]);
  const leg: Paying = {
    source: payout.wallet_id,
    source_param: 'id',
    external: false,
    currency: payout.asset,
    ...shape,
  };
  return ok([toMovement(leg, scale.value, BigInt(payout.amount))]);
}
