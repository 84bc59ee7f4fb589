import type { Queryable } from '../db/pool.js';
import type { Movement } from '../guard/movement.js';
import { periodStarts } from '../policies/counters.js';
import { formatAmount } from '../shared/money.js';
import type { RiskRuleRow, RuleAction } from './rules.js';
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

/** The strongest action among matches: block over review over flag. */
export function strongest(matches: readonly RiskMatch[]): RuleAction | undefined {
  for (const action of ['block', 'review', 'flag'] as const)
    if (matches.some((match) => match.rule.action === action)) return action;
  return undefined;
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
      if (rule.asset !== movement.currency) continue;
      const found = await match(seen, subject, rule, movement, wallets);
      if (found !== undefined) matches.push({ rule, movement_index, ...found });
    }
    running.add(
      loggedMovement(subject.api_key_id, movement, wallets),
      movement.destination_wallet_ids,
      movement.amount_minor,
    );
  }
  return matches;
}

/**
 * The movement as the movement log keeps it, or undefined for a pay-in or a decision that moves
 * nothing now: the log counts money leaving wallets (velocity, a new wallet's and a tier's
 * outflow), and these leave none.
 */
export function loggedMovement(
  api_key_id: string,
  movement: Movement,
  wallets: ReadonlyMap<string, WalletFacts>,
): LoggedMovement | undefined {
  if (movement.inflow || movement.decides_only === true) return undefined;
  return {
    source_wallet_id: movement.source_wallet_id,
    holder_id: wallets.get(movement.source_wallet_id)?.holder_id ?? null,
    api_key_id,
    asset: movement.currency,
    amount_minor: movement.amount_minor,
  };
}

/** Where the checks read what has moved: the database, plus what this transaction will move. */
interface Seen {
  readonly db: Queryable;
  readonly running: RunningMovements;
}

type Found = { wallet_id: string; detail: string } | undefined;

async function match(
  seen: Seen,
  subject: RiskSubject,
  rule: RiskRuleRow,
  movement: Movement,
  wallets: ReadonlyMap<string, WalletFacts>,
): Promise<Found> {
  const amount = (value: bigint) => `${formatAmount(value, movement.scale)} ${movement.currency}`;
  const source = movement.source_wallet_id;
  const p = rule.params;
  // A pay-in leaves no wallet: only its amount and the balances it raises are checked.
  if (movement.inflow && rule.type !== 'amount_above' && rule.type !== 'kyc_tier') return undefined;
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
    case 'kyc_tier':
      return kycTier(seen, subject, rule, movement, wallets, amount);
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

async function kycTier(
  seen: Seen,
  subject: RiskSubject,
  rule: RiskRuleRow,
  movement: Movement,
  wallets: ReadonlyMap<string, WalletFacts>,
  amount: (value: bigint) => string,
): Promise<Found> {
  const p = rule.params;
  if (p.balance_max !== undefined) {
    const max = BigInt(p.balance_max);
    for (const id of movement.destination_wallet_ids) {
      const wallet = wallets.get(id);
      if (wallet === undefined || wallet.kyc_tier !== p.kyc_tier) continue;
      const after = wallet.balance_minor + seen.running.credited(id) + movement.amount_minor;
      if (after > max)
        return {
          wallet_id: id,
          detail: `wallet ${id} of a tier ${p.kyc_tier} holder would hold ${amount(after)}, above ${amount(max)}`,
        };
    }
  }
  const source = wallets.get(movement.source_wallet_id);
  if (p.daily_outflow_max === undefined || source === undefined || movement.inflow) return undefined;
  if (source.kyc_tier !== p.kyc_tier || source.holder_id === null) return undefined;
  const day_start = new Date(`${periodStarts(subject.now).day}T00:00:00Z`);
  const sent = await sumSince(seen, 'holder_id', source.holder_id, day_start, movement.currency);
  const max = BigInt(p.daily_outflow_max);
  return sent.amount + movement.amount_minor > max
    ? {
        wallet_id: source.id,
        detail: `holder ${source.holder_id} (tier ${p.kyc_tier}) would send ${amount(sent.amount + movement.amount_minor)} today, above ${amount(max)}`,
      }
    : undefined;
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
): Promise<{ count: number; amount: bigint }> {
  const result = await seen.db.query<{ count: number; amount: string }>(
    `SELECT count(*)::int AS count, coalesce(sum(amount_minor), 0)::text AS amount FROM movement_log
     WHERE ${column} = $1 AND created_at >= $2 AND ($3::text IS NULL OR asset = $3)`,
    [value, since, asset ?? null],
  );
  const row = result.rows[0];
  const pending = seen.running.sum(column, value, asset);
  return { count: (row?.count ?? 0) + pending.count, amount: BigInt(row?.amount ?? '0') + pending.amount };
}
