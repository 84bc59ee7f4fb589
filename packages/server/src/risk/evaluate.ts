import type { Queryable } from '../db/pool.js';
import { type Movement, receivedOf } from '../guard/movement.js';
import { periodStarts } from '../policies/counters.js';
import { formatAmount } from '../shared/money.js';
import type { RiskRuleRow } from './rules.js';
import type { LogColumn, LoggedMovement, RunningMovements } from './running.js';

/** What the checks need to know about a wallet a movement touches. */
export interface WalletFacts {
  readonly id: string;
  readonly holder_id: string | null;
  readonly kyc_tier: number | null;
  readonly created_at: Date;
  /** Posted plus incoming (and, for a tiered holder, processing pay-ins): what it holds or will hold. */
  readonly balance_minor: bigint;
}

export interface RiskMatch {
  readonly rule: RiskRuleRow;
  readonly movement_index: number;
  readonly wallet_id: string;
  readonly detail: string;
}

export interface RiskSubject {
  readonly livemode: boolean;
  readonly api_key_id: string;
  readonly now: Date;
}

/**
 * Every (rule, movement) pair where the rule matches, in rule order. Each movement is checked
 * against the database plus `running` (what movements screened before it in this transaction will
 * move), and is then added to `running`: a request's later movements count its earlier ones.
 */
export async function evaluateRules(
  db: Queryable,
  subject: RiskSubject,
  rules: readonly RiskRuleRow[],
  movements: readonly Movement[],
  wallets: ReadonlyMap<string, WalletFacts>,
  running: RunningMovements,
): Promise<RiskMatch[]> {
  const matches: RiskMatch[] = [];
  const seen = { db, running };
  for (const [movement_index, movement] of movements.entries()) {
    if (movement.decides_only === true) continue;
    for (const rule of rules) {
      // A rule of the source's currency judges the paying side, one of the target's the receiving.
      const sides = {
        paying: rule.asset === movement.currency,
        receiving: rule.asset === receivedOf(movement).currency,
      };
      if (!sides.paying && !sides.receiving) continue;
      const found = await match(seen, subject, rule, movement, wallets, sides);
      if (found !== undefined) matches.push({ rule, movement_index, ...found });
    }
    running.add(
      loggedMovements(subject.api_key_id, movement, wallets),
      movement.destination_wallet_ids,
      receivedOf(movement).amount_minor,
    );
  }
  return matches;
}

/**
 * The movement as the movement log keeps it: the money leaving its wallet (not a pay-in's: it
 * leaves none), and arriving at each holder it credits, once per holder. A holder among several
 * destinations (splits, a fee) is counted the whole amount: an upper bound, so an inflow cap can
 * refuse a movement too early, never let one too many through. A decision that moves nothing now
 * is not logged.
 */
export function loggedMovements(
  api_key_id: string,
  movement: Movement,
  wallets: ReadonlyMap<string, WalletFacts>,
): LoggedMovement[] {
  if (movement.decides_only === true) return [];
  const received = receivedOf(movement);
  const of = (direction: 'out' | 'in', wallet_id: string, holder_id: string | null): LoggedMovement => ({
    direction,
    source_wallet_id: wallet_id,
    holder_id,
    api_key_id,
    asset: direction === 'out' ? movement.currency : received.currency,
    amount_minor: direction === 'out' ? movement.amount_minor : received.amount_minor,
  });
  const logged = movement.inflow
    ? []
    : [of('out', movement.source_wallet_id, wallets.get(movement.source_wallet_id)?.holder_id ?? null)];
  const holders = new Map<string, string>();
  for (const id of movement.destination_wallet_ids) {
    const holder_id = wallets.get(id)?.holder_id;
    if (holder_id !== undefined && holder_id !== null && !holders.has(holder_id)) holders.set(holder_id, id);
  }
  for (const [holder_id, wallet_id] of holders) logged.push(of('in', wallet_id, holder_id));
  return logged;
}

/** Where the checks read what has moved: the database, plus what this transaction will move. */
interface Seen {
  readonly db: Queryable;
  readonly running: RunningMovements;
}

type Found = { wallet_id: string; detail: string } | undefined;

/** Which sides of a movement a rule's currency judges: what leaves the source, what arrives. */
interface Sides {
  readonly paying: boolean;
  readonly receiving: boolean;
}

async function match(
  seen: Seen,
  subject: RiskSubject,
  rule: RiskRuleRow,
  movement: Movement,
  wallets: ReadonlyMap<string, WalletFacts>,
  sides: Sides,
): Promise<Found> {
  const amount = (value: bigint) => `${formatAmount(value, movement.scale)} ${movement.currency}`;
  const source = movement.source_wallet_id;
  const p = rule.params;
  // A pay-in leaves no wallet: only its amount and the balances it raises are checked.
  if (movement.inflow && rule.type !== 'amount_above' && rule.type !== 'kyc_tier') return undefined;
  if (rule.type === 'kyc_tier') return kycTier(seen, subject, rule, movement, wallets, sides);
  // Amount, velocity and new-wallet rules judge what is paid.
  if (!sides.paying) return undefined;
  switch (rule.type) {
    case 'amount_above':
      return movement.amount_minor > BigInt(p.amount ?? '0')
        ? {
            wallet_id: source,
            detail: `${amount(movement.amount_minor)} is above ${amount(BigInt(p.amount ?? '0'))}`,
          }
        : undefined;
    case 'velocity':
      return velocity(seen, subject, rule, movement, wallets.get(source));
    case 'new_wallet': {
      const wallet = wallets.get(source);
      if (
        wallet === undefined ||
        subject.now.getTime() - wallet.created_at.getTime() >= (p.wallet_age_s ?? 0) * 1000
      )
        return undefined;
      const sent = await sumSince(seen, 'source_wallet_id', source, wallet.created_at);
      const max = BigInt(p.amount_max ?? '0');
      return sent.amount + movement.amount_minor > max
        ? {
            wallet_id: source,
            detail: `a wallet younger than ${p.wallet_age_s} s would send ${amount(sent.amount + movement.amount_minor)}, above ${amount(max)}`,
          }
        : undefined;
    }
  }
}

async function velocity(
  seen: Seen,
  subject: RiskSubject,
  rule: RiskRuleRow,
  movement: Movement,
  wallet: WalletFacts | undefined,
): Promise<Found> {
  const p = rule.params;
  const column = velocityColumn(p.subject);
  const value =
    p.subject === 'api_key'
      ? subject.api_key_id
      : p.subject === 'holder'
        ? wallet?.holder_id
        : movement.source_wallet_id;
  if (value === undefined || value === null) return undefined;
  const since = new Date(subject.now.getTime() - (p.window_s ?? 0) * 1000);
  const sent = await sumSince(seen, column, value, since, movement.currency);
  const over_count = p.count_max !== undefined && sent.count + 1 > p.count_max;
  const over_amount =
    p.amount_max !== undefined && sent.amount + movement.amount_minor > BigInt(p.amount_max);
  if (!over_count && !over_amount) return undefined;
  return {
    wallet_id: movement.source_wallet_id,
    detail: `${p.subject} ${value} would make ${sent.count + 1} movements of ${formatAmount(sent.amount + movement.amount_minor, movement.scale)} ${movement.currency} within ${p.window_s} s`,
  };
}

export function velocityColumn(subject: RiskRuleRow['params']['subject']): LogColumn {
  return { wallet: 'source_wallet_id', holder: 'holder_id', api_key: 'api_key_id' }[
    subject ?? 'wallet'
  ] as LogColumn;
}

/**
 * A tier's caps: the balance and inflow caps on the receiving side (in what arrives), the outflow
 * caps on the paying side (in what leaves); `sides` says which of them this rule's currency is.
 */
async function kycTier(
  seen: Seen,
  subject: RiskSubject,
  rule: RiskRuleRow,
  movement: Movement,
  wallets: ReadonlyMap<string, WalletFacts>,
  sides: Sides,
): Promise<Found> {
  const p = rule.params;
  const tiered = (id: string) => {
    const wallet = wallets.get(id);
    return wallet !== undefined && wallet.kyc_tier === p.kyc_tier ? wallet : undefined;
  };
  const received = receivedOf(movement);
  const side = (direction: 'out' | 'in') => (direction === 'out' ? movement : received);
  const amount = (value: bigint, direction: 'out' | 'in') =>
    `${formatAmount(value, side(direction).scale)} ${side(direction).currency}`;
  if (p.balance_max !== undefined && sides.receiving) {
    const max = BigInt(p.balance_max);
    for (const id of movement.destination_wallet_ids) {
      const wallet = tiered(id);
      if (wallet === undefined) continue;
      const after = wallet.balance_minor + seen.running.credited(id) + received.amount_minor;
      if (after > max)
        return {
          wallet_id: id,
          detail: `wallet ${id} of a tier ${p.kyc_tier} holder would hold ${amount(after, 'in')}, above ${amount(max, 'in')}`,
        };
    }
  }
  const periods = periodStarts(subject.now);
  const starts = {
    day: new Date(`${periods.day}T00:00:00Z`),
    month: new Date(`${periods.month}T00:00:00Z`),
  };
  const flows = tierFlows(p, movement, tiered).filter((flow) =>
    flow.direction === 'out' ? sides.paying : sides.receiving,
  );
  for (const flow of flows) {
    const { currency, amount_minor } = side(flow.direction);
    const moved = await sumSince(
      seen,
      'holder_id',
      flow.holder_id,
      starts[flow.period],
      currency,
      flow.direction,
    );
    const total = moved.amount + amount_minor;
    if (total > flow.max)
      return {
        wallet_id: flow.wallet_id,
        detail: `holder ${flow.holder_id} (tier ${p.kyc_tier}) would ${flow.direction === 'out' ? 'send' : 'receive'} ${amount(total, flow.direction)} ${flow.period === 'day' ? 'today' : 'this month'}, above ${amount(flow.max, flow.direction)}`,
      };
  }
  return undefined;
}

interface TierFlow {
  readonly direction: 'out' | 'in';
  readonly period: 'day' | 'month';
  readonly max: bigint;
  readonly holder_id: string;
  readonly wallet_id: string;
}

/** The outflow and inflow caps a tier rule sets on this movement's tiered holders. */
function tierFlows(
  p: RiskRuleRow['params'],
  movement: Movement,
  tiered: (id: string) => WalletFacts | undefined,
): TierFlow[] {
  const flows: TierFlow[] = [];
  const caps = [
    ['out', 'day', p.daily_outflow_max],
    ['out', 'month', p.monthly_outflow_max],
    ['in', 'day', p.daily_inflow_max],
    ['in', 'month', p.monthly_inflow_max],
  ] as const;
  const source = movement.inflow ? undefined : tiered(movement.source_wallet_id);
  const receivers = new Map<string, string>();
  for (const id of movement.destination_wallet_ids) {
    const holder_id = tiered(id)?.holder_id;
    if (holder_id !== undefined && holder_id !== null && !receivers.has(holder_id))
      receivers.set(holder_id, id);
  }
  for (const [direction, period, cap] of caps) {
    if (cap === undefined) continue;
    const max = BigInt(cap);
    if (direction === 'out' && source !== undefined && source.holder_id !== null)
      flows.push({ direction, period, max, holder_id: source.holder_id, wallet_id: source.id });
    if (direction === 'in')
      for (const [holder_id, wallet_id] of receivers)
        flows.push({ direction, period, max, holder_id, wallet_id });
  }
  return flows;
}

/**
 * Movements logged for one wallet, holder or key since a time (optionally in one asset), plus those
 * this transaction will log. Exact across transactions because the caller holds the subject's lock
 * (see locks.ts) from before this read until its own movements are logged and committed.
 */
async function sumSince(
  seen: Seen,
  column: LogColumn,
  value: string,
  since: Date,
  asset?: string,
  direction: 'out' | 'in' = 'out',
): Promise<{ count: number; amount: bigint }> {
  // direction is a literal, not a parameter, so the planner can use the partial index of its kind.
  const result = await seen.db.query<{ count: number; amount: string }>(
    `SELECT count(*)::int AS count, coalesce(sum(amount_minor), 0)::text AS amount FROM movement_log
     WHERE ${column} = $1 AND created_at >= $2 AND ($3::text IS NULL OR asset = $3) AND direction = '${direction}'`,
    [value, since, asset ?? null],
  );
  const row = result.rows[0];
  const pending = seen.running.sum(column, value, asset, direction);
  return { count: (row?.count ?? 0) + pending.count, amount: BigInt(row?.amount ?? '0') + pending.amount };
}
