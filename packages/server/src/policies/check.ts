import type { Client } from '../db/pool.js';
import type { Done, Movement } from '../guard/movement.js';
import { type DomainError, domainError } from '../shared/errors.js';
import { formatAmount, parseAmount } from '../shared/money.js';
import { addToCounters, lockCounters, type Period } from './counters.js';
import type { SpendLimitValue, SpendPolicyValue } from './schemas.js';

export type PolicyVerdict =
  | { readonly verdict: 'allow'; readonly commit: (db: Client, done: Done) => Promise<void> }
  | { readonly verdict: 'refuse'; readonly error: DomainError }
  | { readonly verdict: 'approval'; readonly detail: string };

export interface PolicyContext {
  readonly db: Client;
  readonly api_key_id: string;
  readonly now: Date;
  /** Holder of each destination wallet, for allowed_destinations.holder_ids. */
  readonly holders: ReadonlyMap<string, string | null>;
  /** True when executing an approved request: the approval threshold is passed. */
  readonly approved: boolean;
}

const period_limits: readonly {
  period: Period;
  field: 'daily_max' | 'weekly_max' | 'monthly_max';
  name: string;
}[] = [
  { period: 'day', field: 'daily_max', name: 'today' },
  { period: 'week', field: 'weekly_max', name: 'this week' },
  { period: 'month', field: 'monthly_max', name: 'this month' },
];

/**
 * Checks movements against a key's spend policy. Static limits first (currency, per movement,
 * destinations, hours), then the period totals under the counters' row locks, then the approval
 * threshold: a movement that would be refused anyway is refused rather than parked. On `allow`,
 * `commit` adds what actually moved to the counters, still under their locks.
 */
export async function checkPolicy(
  ctx: PolicyContext,
  policy: SpendPolicyValue,
  movements: readonly Movement[],
): Promise<PolicyVerdict> {
  for (const movement of movements) {
    const refusal = staticRefusal(ctx, policy, movement);
    if (refusal !== undefined) return { verdict: 'refuse', error: refusal };
  }
  const totals = countedTotals(movements);
  for (const [currency, total] of [...totals].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const limit = limitFor(policy, currency) as SpendLimitValue;
    const scale = movements.find((m) => m.currency === currency)?.scale ?? 0;
    const spent = await lockCounters(ctx.db, ctx.api_key_id, currency, ctx.now);
    for (const { period, field, name } of period_limits) {
      const max = minor(limit[field], scale);
      if (max !== undefined && spent[period] + total > max)
        return {
          verdict: 'refuse',
          error: refuse(
            field,
            `This would bring the key's ${currency} spending ${name} to ${formatAmount(spent[period] + total, scale)}, above its ${field} of ${formatAmount(max, scale)}.`,
          ),
        };
    }
  }
  const parked = ctx.approved ? undefined : aboveThreshold(policy, movements);
  if (parked !== undefined) return { verdict: 'approval', detail: parked };
  return {
    verdict: 'allow',
    commit: async (db, done) => {
      for (const [currency, total] of countedTotals(
        movements.filter((_, index) => done[index] !== undefined),
      ))
        await addToCounters(db, ctx.api_key_id, currency, ctx.now, total);
    },
  };
}

function staticRefusal(
  ctx: PolicyContext,
  policy: SpendPolicyValue,
  movement: Movement,
): DomainError | undefined {
  const limit = limitFor(policy, movement.currency);
  if (limit === undefined)
    return refuse('limits', `This key's spend policy allows no ${movement.currency} movements.`);
  const per_movement = minor(limit.per_movement_max, movement.scale);
  if (per_movement !== undefined && movement.amount_minor > per_movement)
    return refuse(
      'per_movement_max',
      `${formatAmount(movement.amount_minor, movement.scale)} ${movement.currency} is above the key's per_movement_max of ${limit.per_movement_max}.`,
    );
  const destinations = destinationRefusal(ctx, policy, movement);
  if (destinations !== undefined) return destinations;
  return hoursRefusal(policy, ctx.now);
}

function destinationRefusal(ctx: PolicyContext, policy: SpendPolicyValue, movement: Movement) {
  const allowed = policy.allowed_destinations;
  if (allowed === undefined) return undefined;
  if (movement.external)
    return refuse(
      'allowed_destinations',
      'This key may pay only its allowed destinations, not out of Purse.',
    );
  const wallets = new Set(allowed.wallet_ids ?? []);
  const holders = new Set(allowed.holder_ids ?? []);
  const outside = movement.destination_wallet_ids.find((id) => {
    // Money already counted going back to the wallet that paid it (an escrow canceled) is no spending.
    if (!movement.counts && id === movement.source_wallet_id) return false;
    const holder = ctx.holders.get(id);
    return !wallets.has(id) && (holder === undefined || holder === null || !holders.has(holder));
  });
  return outside === undefined
    ? undefined
    : refuse('allowed_destinations', `Wallet ${outside} is not among this key's allowed destinations.`);
}

function hoursRefusal(policy: SpendPolicyValue, now: Date): DomainError | undefined {
  const hours = policy.allowed_hours;
  if (hours === undefined) return undefined;
  const zone = hours.time_zone ?? 'UTC';
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hour: 'numeric',
    hourCycle: 'h23',
    weekday: 'short',
  }).formatToParts(now);
  const hour = Number(parts.find((part) => part.type === 'hour')?.value);
  const weekday =
    ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(
      parts.find((part) => part.type === 'weekday')?.value ?? '',
    ) + 1;
  const on_day = hours.weekdays === undefined || hours.weekdays.includes(weekday);
  if (on_day && hour >= hours.start_hour && hour < hours.end_hour) return undefined;
  return refuse(
    'allowed_hours',
    `This key may move money only from ${hours.start_hour}:00 to ${hours.end_hour}:00 (${zone})${hours.weekdays === undefined ? '' : ` on ISO weekdays ${hours.weekdays.join(', ')}`}.`,
  );
}

function aboveThreshold(policy: SpendPolicyValue, movements: readonly Movement[]): string | undefined {
  for (const movement of movements) {
    const limit = limitFor(policy, movement.currency);
    const threshold = minor(limit?.approval_above, movement.scale);
    if (threshold !== undefined && movement.amount_minor > threshold)
      return `${formatAmount(movement.amount_minor, movement.scale)} ${movement.currency} is above the key's approval_above of ${limit?.approval_above}.`;
  }
  return undefined;
}

function countedTotals(movements: readonly Movement[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const movement of movements)
    if (movement.counts)
      totals.set(movement.currency, (totals.get(movement.currency) ?? 0n) + movement.amount_minor);
  return totals;
}

function limitFor(policy: SpendPolicyValue, currency: string): SpendLimitValue | undefined {
  return policy.limits.find((limit) => limit.currency === currency);
}

/** Policy amounts were validated for their asset when the policy was set. */
function minor(value: string | undefined, scale: number): bigint | undefined {
  if (value === undefined) return undefined;
  const parsed = parseAmount(value, scale, 'spend_policy');
  return parsed.ok ? parsed.value : undefined;
}

function refuse(limit: string, detail: string): DomainError {
  return domainError('spend_limit_exceeded', detail, limit);
}
