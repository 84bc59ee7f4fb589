import type { SpendLimitValue, SpendPolicyValue } from '../policies/schemas.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError } from '../shared/errors.js';
import type { RestrictionsValue } from './restrictions.js';
import { covers } from './scopes.js';

/** Everything a key may do, as far as managing keys is concerned. */
export interface KeyPowers {
  /** null: a key about to be created. */
  readonly id: string | null;
  readonly livemode: boolean;
  readonly scopes: readonly string[];
  readonly restrictions: RestrictionsValue | null;
  readonly spend_policy: SpendPolicyValue | null;
  /** null: never expires. */
  readonly expires_at: Date | null;
  /** Requests per rate-limit window, the server default resolved; 0: unlimited. */
  readonly rate_limit_requests_max: number;
}

/**
 * What the comparison needs to know about the world: the holder of each wallet named by either
 * key's restrictions or allowed destinations (absent: no such wallet). Wallets never change holder.
 */
export interface PowerFacts {
  readonly wallet_holder_ids: ReadonlyMap<string, string | null>;
}

/**
 * Why `target` can do something `actor` cannot, or undefined when `target` is no more powerful
 * than `actor`: a key may create, roll, update or revoke only such keys. Pure.
 */
export function excessPower(target: KeyPowers, actor: KeyPowers, facts: PowerFacts): DomainError | undefined {
  return (
    excessMode(target, actor) ??
    excessScope(target, actor) ??
    excessRestrictions(target.restrictions, actor.restrictions, facts) ??
    excessPolicy(target, actor, facts) ??
    excessExpiry(target, actor) ??
    excessRate(target, actor)
  );
}

/** Every wallet id either key names, for the lookup that fills `PowerFacts`. */
export function walletsNamed(...keys: readonly KeyPowers[]): string[] {
  const ids = keys.flatMap((key) => [
    ...(key.restrictions?.wallet_ids ?? []),
    ...(key.spend_policy?.allowed_destinations?.wallet_ids ?? []),
  ]);
  return [...new Set(ids)];
}

function exceeds(detail: string, param: string): DomainError {
  return domainError('api_key_exceeds_caller', detail, param);
}

/** Restricted and policy-bound keys are refused with the code they get on every closed route. */
function restricted(detail: string, param: string): DomainError {
  return domainError('key_restricted', detail, param);
}

function excessMode(target: KeyPowers, actor: KeyPowers): DomainError | undefined {
  if (!target.livemode || actor.livemode) return undefined;
  return domainError('mode_mismatch', 'A test-mode key cannot manage live-mode keys.', 'mode');
}

function excessScope(target: KeyPowers, actor: KeyPowers): DomainError | undefined {
  const excess = target.scopes.find((scope) => !covers(actor.scopes, scope));
  if (excess === undefined) return undefined;
  return domainError(
    'insufficient_scope',
    `That key holds "${excess}", which your key does not hold.`,
    'scopes',
  );
}

/** A restricted actor's target must be restricted to a subset of the actor's wallets. */
function excessRestrictions(
  target: RestrictionsValue | null,
  actor: RestrictionsValue | null,
  facts: PowerFacts,
): DomainError | undefined {
  if (actor === null) return undefined;
  const refusal = restricted(
    'Your key is restricted: that key must be restricted to wallets your key may use.',
    'restrictions',
  );
  if (target === null) return refusal;
  if (target.holder_id !== undefined) return target.holder_id === actor.holder_id ? undefined : refusal;
  const wallet_ids = target.wallet_ids ?? [];
  return wallet_ids.every((id) => walletWithin(id, actor.wallet_ids, actor.holder_id, facts))
    ? undefined
    : refusal;
}

/** A wallet among `wallet_ids`, or owned by `holder_id`. */
function walletWithin(
  wallet_id: string,
  wallet_ids: readonly string[] | undefined,
  holder_id: string | undefined,
  facts: PowerFacts,
): boolean {
  if (wallet_ids?.includes(wallet_id) === true) return true;
  const owner = facts.wallet_holder_ids.get(wallet_id);
  return holder_id !== undefined && owner !== undefined && owner === holder_id;
}

/**
 * Spend counters are per key, so a second key with the same policy would double the budget: a
 * policy-bound key may manage only itself, and then only keep or tighten its own policy.
 */
function excessPolicy(target: KeyPowers, actor: KeyPowers, facts: PowerFacts): DomainError | undefined {
  const policy = actor.spend_policy;
  if (policy === null) return undefined;
  if (target.id !== actor.id)
    return restricted(
      'A key with a spend policy can manage only itself: its budget is its own.',
      'spend_policy',
    );
  return policyWithin(target.spend_policy, policy, facts)
    ? undefined
    : restricted('A key cannot loosen its own spend policy.', 'spend_policy');
}

/** Every movement `target` allows, `actor` allows too. */
function policyWithin(target: SpendPolicyValue | null, actor: SpendPolicyValue, facts: PowerFacts): boolean {
  if (target === null) return false;
  const limits_within = target.limits.every((limit) => {
    const bound = actor.limits.find((candidate) => candidate.currency === limit.currency);
    return bound !== undefined && limitWithin(limit, bound);
  });
  return (
    limits_within &&
    destinationsWithin(target.allowed_destinations, actor.allowed_destinations, facts) &&
    hoursWithin(target.allowed_hours, actor.allowed_hours)
  );
}

const caps = ['per_movement_max', 'daily_max', 'weekly_max', 'monthly_max'] as const;

/** Each cap the actor has, the target has at most as high; approval is asked at least as early. */
function limitWithin(target: SpendLimitValue, actor: SpendLimitValue): boolean {
  const caps_within = caps.every((cap) => atMost(target[cap], actor[cap]));
  const approval = actor.approval_above;
  const approval_within =
    approval === undefined ||
    atMost(target.approval_above, approval) ||
    atMost(target.per_movement_max, approval);
  return caps_within && approval_within;
}

/** Amounts are decimal strings of one currency (so of one scale): compared exactly, never as numbers. */
function atMost(value: string | undefined, bound: string | undefined): boolean {
  if (bound === undefined) return true;
  if (value === undefined) return false;
  return decimalMinor(value) <= decimalMinor(bound);
}

/** "12.3" and "12.30" compare equal: both scaled to 40 fraction digits (assets have at most 18). */
function decimalMinor(value: string): bigint {
  const [whole = '0', fraction = ''] = value.split('.');
  assert(/^\d+$/.test(whole) && /^\d{0,40}$/.test(fraction), `not a decimal amount: ${value}`);
  return BigInt(whole + fraction.padEnd(40, '0'));
}

type Destinations = SpendPolicyValue['allowed_destinations'];

function destinationsWithin(target: Destinations, actor: Destinations, facts: PowerFacts): boolean {
  if (actor === undefined) return true;
  if (target === undefined) return false;
  const holders_within = (target.holder_ids ?? []).every((id) => actor.holder_ids?.includes(id) === true);
  const wallets_within = (target.wallet_ids ?? []).every((id) => {
    const owner = facts.wallet_holder_ids.get(id);
    const owner_allowed = owner !== undefined && owner !== null && actor.holder_ids?.includes(owner) === true;
    return actor.wallet_ids?.includes(id) === true || owner_allowed;
  });
  return holders_within && wallets_within;
}

type Hours = SpendPolicyValue['allowed_hours'];

/** Within the actor's hours and weekdays, in the same time zone (across zones is not compared). */
function hoursWithin(target: Hours, actor: Hours): boolean {
  if (actor === undefined) return true;
  if (target === undefined) return false;
  const all_days = [1, 2, 3, 4, 5, 6, 7];
  const actor_days = actor.weekdays ?? all_days;
  return (
    (target.time_zone ?? 'UTC') === (actor.time_zone ?? 'UTC') &&
    target.start_hour >= actor.start_hour &&
    target.end_hour <= actor.end_hour &&
    (target.weekdays ?? all_days).every((day) => actor_days.includes(day))
  );
}

function excessExpiry(target: KeyPowers, actor: KeyPowers): DomainError | undefined {
  if (actor.expires_at === null) return undefined;
  if (target.expires_at !== null && target.expires_at <= actor.expires_at) return undefined;
  return exceeds(
    `Your key expires at ${actor.expires_at.toISOString()}: that key must expire no later.`,
    'expires_at',
  );
}

/**
 * Per-key limits do not bound a key that may mint more keys, so they are compared only for a
 * restricted or policy-bound actor, which cannot multiply itself: an agent cannot raise its own.
 */
function excessRate(target: KeyPowers, actor: KeyPowers): DomainError | undefined {
  const actor_max = actor.rate_limit_requests_max;
  const target_max = target.rate_limit_requests_max;
  const bound = actor.restrictions !== null || actor.spend_policy !== null;
  if (!bound || actor_max === 0 || (target_max !== 0 && target_max <= actor_max)) return undefined;
  return exceeds(
    `Your key may make ${actor_max} requests per window: that key may not make more.`,
    'rate_limit_requests_max',
  );
}
