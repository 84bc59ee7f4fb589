import type { Queryable } from '../db/pool.js';
import type { Movement } from '../guard/movement.js';
import { periodStarts } from '../policies/counters.js';
import { formatAmount } from '../shared/money.js';
import type { RiskRuleRow, RuleAction } from './rules.js';

/** What the checks need to know about a wallet a movement touches. */
export interface WalletFacts {
  readonly id: string;
  readonly holder_id: string | null;
  readonly kyc_tier: number | null;
  readonly created_at: Date;
  /** Posted plus incoming: what the wallet holds or will hold. */
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

/** Every (rule, movement) pair where the rule matches, in rule order. */
export async function evaluateRules(
  db: Queryable,
  subject: RiskSubject,
  rules: readonly RiskRuleRow[],
  movements: readonly Movement[],
  wallets: ReadonlyMap<string, WalletFacts>,
): Promise<RiskMatch[]> {
  const matches: RiskMatch[] = [];
  for (const [movement_index, movement] of movements.entries()) {
    for (const rule of rules) {
      if (rule.asset !== movement.currency) continue;
      const found = await match(db, subject, rule, movement, wallets);
      if (found !== undefined) matches.push({ rule, movement_index, ...found });
    }
  }
  return matches;
}

type Found = { wallet_id: string; detail: string } | undefined;

async function match(
  db: Queryable,
  subject: RiskSubject,
  rule: RiskRuleRow,
  movement: Movement,
  wallets: ReadonlyMap<string, WalletFacts>,
): Promise<Found> {
  const amount = (value: bigint) => `${formatAmount(value, movement.scale)} ${movement.currency}`;
  const source = movement.source_wallet_id;
  const p = rule.params;
  switch (rule.type) {
    case 'amount_above':
      return movement.amount_minor > BigInt(p.amount ?? '0')
        ? {
            wallet_id: source,
            detail: `${amount(movement.amount_minor)} is above ${amount(BigInt(p.amount ?? '0'))}`,
          }
        : undefined;
    case 'velocity':
      return velocity(db, subject, rule, movement, wallets.get(source));
    case 'new_wallet': {
      const wallet = wallets.get(source);
      if (
        wallet === undefined ||
        subject.now.getTime() - wallet.created_at.getTime() >= (p.wallet_age_s ?? 0) * 1000
      )
        return undefined;
      const sent = await sumSince(db, 'source_wallet_id', source, wallet.created_at);
      const max = BigInt(p.amount_max ?? '0');
      return sent.amount + movement.amount_minor > max
        ? {
            wallet_id: source,
            detail: `a wallet younger than ${p.wallet_age_s} s would send ${amount(sent.amount + movement.amount_minor)}, above ${amount(max)}`,
          }
        : undefined;
    }
    case 'kyc_tier':
      return kycTier(db, subject, rule, movement, wallets, amount);
  }
}

async function velocity(
  db: Queryable,
  subject: RiskSubject,
  rule: RiskRuleRow,
  movement: Movement,
  wallet: WalletFacts | undefined,
): Promise<Found> {
  const p = rule.params;
  const column = { wallet: 'source_wallet_id', holder: 'holder_id', api_key: 'api_key_id' }[
    p.subject ?? 'wallet'
  ];
  const value =
    p.subject === 'api_key'
      ? subject.api_key_id
      : p.subject === 'holder'
        ? wallet?.holder_id
        : movement.source_wallet_id;
  if (value === undefined || value === null) return undefined;
  const since = new Date(subject.now.getTime() - (p.window_s ?? 0) * 1000);
  const seen = await sumSince(db, column, value, since, movement.currency);
  const over_count = p.count_max !== undefined && seen.count + 1 > p.count_max;
  const over_amount =
    p.amount_max !== undefined && seen.amount + movement.amount_minor > BigInt(p.amount_max);
  if (!over_count && !over_amount) return undefined;
  return {
    wallet_id: movement.source_wallet_id,
    detail: `${p.subject} ${value} would make ${seen.count + 1} movements of ${formatAmount(seen.amount + movement.amount_minor, movement.scale)} ${movement.currency} within ${p.window_s} s`,
  };
}

async function kycTier(
  db: Queryable,
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
      if (
        wallet !== undefined &&
        wallet.kyc_tier === p.kyc_tier &&
        wallet.balance_minor + movement.amount_minor > max
      )
        return {
          wallet_id: id,
          detail: `wallet ${id} of a tier ${p.kyc_tier} holder would hold ${amount(wallet.balance_minor + movement.amount_minor)}, above ${amount(max)}`,
        };
    }
  }
  const source = wallets.get(movement.source_wallet_id);
  if (p.daily_outflow_max === undefined || source === undefined) return undefined;
  if (source.kyc_tier !== p.kyc_tier || source.holder_id === null) return undefined;
  const day_start = new Date(`${periodStarts(subject.now).day}T00:00:00Z`);
  const sent = await sumSince(db, 'holder_id', source.holder_id, day_start, movement.currency);
  const max = BigInt(p.daily_outflow_max);
  return sent.amount + movement.amount_minor > max
    ? {
        wallet_id: source.id,
        detail: `holder ${source.holder_id} (tier ${p.kyc_tier}) would send ${amount(sent.amount + movement.amount_minor)} today, above ${amount(max)}`,
      }
    : undefined;
}

/** Movements logged for one wallet, holder or key since a time (optionally in one asset). */
async function sumSince(
  db: Queryable,
  column: string,
  value: string,
  since: Date,
  asset?: string,
): Promise<{ count: number; amount: bigint }> {
  const result = await db.query<{ count: number; amount: string }>(
    `SELECT count(*)::int AS count, coalesce(sum(amount_minor), 0)::text AS amount FROM movement_log
     WHERE ${column} = $1 AND created_at >= $2 AND ($3::text IS NULL OR asset = $3)`,
    [value, since, asset ?? null],
  );
  const row = result.rows[0];
  return { count: row?.count ?? 0, amount: BigInt(row?.amount ?? '0') };
}
