import { createApproval } from '../approvals/service.js';
import { consentWithdrawn } from '../auth/consent-access.js';
import type { AuthContext } from '../auth/context.js';
import { permittedWallets } from '../auth/restrictions.js';
import { type ChallengeSettings, createPaymentChallenge, reachOf } from '../challenges/service.js';
import type { Client, Queryable } from '../db/pool.js';
import { checkPolicy } from '../policies/check.js';
import { withoutCardNumbers } from '../rails/index.js';
import type { Screen } from '../requests/screening.js';
import { recordDecisions } from '../risk/decisions.js';
import { evaluateRules, loggedMovements, type RiskMatch, type WalletFacts } from '../risk/evaluate.js';
import { lockRiskReads, riskReads } from '../risk/locks.js';
import { countsMovements, type RiskRuleRow } from '../risk/rules.js';
import { RunningMovements } from '../risk/running.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Result } from '../shared/result.js';
import type { Movement } from './movement.js';

/** The request being screened, and what to store if it is parked for approval. */
export interface GuardRequest {
  readonly auth: AuthContext;
  readonly request_id: string;
  readonly now: Date;
  readonly approval_ttl_s: number;
  readonly route: string;
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Executing an approved request: the approval threshold and review rules are passed. */
  readonly approved: boolean;
  /** A refund an operator asks for of at least this many minor units waits for a second operator. */
  readonly four_eyes_refund_minor?: bigint;
  /** Executing a request this holder confirmed with a code: their movements' challenges are passed. */
  readonly challenge_confirmed_by?: string;
  /** Set: a challenge rule may ask the holder for a code (unset: it is refused, as unattended). */
  readonly challenges?: ChallengeSettings;
  /**
   * A movement no key asked for (a payout schedule's run, in the worker): an approval could not
   * execute it later, as approvals run as their requesting key, so a review rule blocks it; what
   * the rules decided is recorded against `object_id` (the schedule), where a blocked request's
   * decisions have no object.
   */
  readonly unattended?: { readonly object_id: string };
}

/**
 * A movement the worker makes with no key behind it (a payout schedule's run, an escrow's date, a
 * subscription's charge): no restrictions or spend policy apply, `object_id` stands in for the key
 * in velocity counts and risk decisions, and it is never parked (a review blocks it).
 */
export function unattendedRequest(
  at: { readonly livemode: boolean; readonly object_id: string; readonly now: Date },
  route: string,
  params: Readonly<Record<string, string>>,
  body: unknown,
): GuardRequest {
  return {
    auth: {
      key_id: at.object_id,
      livemode: at.livemode,
      scopes: [],
      api_version: '',
      restrictions: null,
      spend_policy: null,
      rate_limit_requests_max: null,
    },
    request_id: newId('request', at.now.getTime()),
    now: at.now,
    approval_ttl_s: 0,
    route,
    params,
    body,
    approved: false,
    unattended: { object_id: at.object_id },
  };
}

/** Whether a request needs screening at all: the fast path for unbound keys with no rules. */
export function needsScreen(auth: AuthContext, rules: readonly RiskRuleRow[]): boolean {
  return (
    auth.restrictions !== null ||
    auth.spend_policy !== null ||
    auth.operator !== undefined ||
    rules.length > 0
  );
}

/** A request's screening, ready to run once the locks of what its rules read are held. */
export interface PreparedScreen<T> {
  /** Ids whose movement log or balance the rules read (see risk/locks.ts). */
  readonly lock_ids: readonly string[];
  /** Screens against the database plus `running`, and adds to `running` what it lets through. */
  screen(db: Client, running: RunningMovements): Promise<Screen<T>>;
}

/** Screens one request alone in its transaction: prepare, lock, screen. */
export async function screenMovements<T>(
  db: Client,
  request: GuardRequest,
  rules: readonly RiskRuleRow[],
  movements: Result<Movement[]>,
  objects: (value: T) => readonly (string | undefined)[],
): Promise<Screen<T>> {
  const prepared = await prepareScreen(db, request, rules, movements, objects);
  await lockRiskReads(db, prepared.lock_ids);
  return prepared.screen(db, new RunningMovements());
}

/**
 * Reads which wallets, holders and keys the risk rules will read for this request, so that their
 * locks can be taken (a batch takes every job's at once, in one order) before anything is read
 * that another transaction could be changing. Balances are read again under the locks.
 */
export async function prepareScreen<T>(
  db: Client,
  request: GuardRequest,
  rules: readonly RiskRuleRow[],
  movements: Result<Movement[]>,
  objects: (value: T) => readonly (string | undefined)[],
  /** The wallets' facts when already read (a batch reads every job's with one query). */
  known_facts?: ReadonlyMap<string, WalletFacts>,
): Promise<PreparedScreen<T>> {
  if (!movements.ok) {
    const error = movements.error;
    return { lock_ids: [], screen: async () => ({ verdict: 'refuse', error, after: async () => undefined }) };
  }
  const list = movements.value;
  const facts = known_facts ?? (await walletFacts(db, request.auth.livemode, list));
  const lock_ids = riskReads(subjectOf(request), rules, list, facts);
  return {
    lock_ids,
    screen: async (client, running) => {
      const wallets = lock_ids.length === 0 ? facts : await walletFacts(client, request.auth.livemode, list);
      return screenLocked(client, request, rules, list, wallets, objects, running);
    },
  };
}

function subjectOf(request: GuardRequest) {
  return { livemode: request.auth.livemode, api_key_id: request.auth.key_id, now: request.now };
}

/**
 * Screens a money request before it runs, in its transaction: the key's restrictions (a wallet it
 * may not use is 404, as if it did not exist), its spend policy (refused, or parked above the
 * approval threshold), then the risk rules (block, review, flag). What is allowed is recorded once
 * the request has run: counters, the movement log and flag decisions, for what actually moved.
 */
async function screenLocked<T>(
  db: Client,
  request: GuardRequest,
  rules: readonly RiskRuleRow[],
  list: readonly Movement[],
  wallets: ReadonlyMap<string, WalletFacts>,
  objects: (value: T) => readonly (string | undefined)[],
  running: RunningMovements,
): Promise<Screen<T>> {
  const nothing = async () => undefined;
  const withdrawn = await consentWithdrawn(db, request.auth, request.now);
  if (withdrawn !== undefined) return { verdict: 'refuse', error: withdrawn, after: nothing };
  const hidden = await hiddenSource(db, request.auth, list);
  if (hidden !== undefined) return { verdict: 'refuse', error: hidden, after: nothing };
  const holders = new Map([...wallets].map(([id, facts]) => [id, facts.holder_id]));
  const policy = request.auth.spend_policy;
  const verdict =
    policy === null
      ? fourEyes(request, list)
      : await checkPolicy(
          { db, api_key_id: request.auth.key_id, now: request.now, holders, approved: request.approved },
          policy,
          list,
        );
  if (verdict?.verdict === 'refuse') return { verdict: 'refuse', error: verdict.error, after: nothing };
  const mine = running.layer();
  const matches = heldNotRefused(
    await evaluateRules(db, subjectOf(request), rules, list, wallets, mine),
    list,
  );
  const holderOf = (match: RiskMatch) =>
    wallets.get(list[match.movement_index]?.source_wallet_id ?? '')?.holder_id ?? null;
  // A holder's code answers the challenges of that holder's movements only; an operator's approval
  // never stands in for a holder's code.
  const pending = matches.filter(
    (match) =>
      match.rule.action !== 'challenge' ||
      request.challenge_confirmed_by === undefined ||
      holderOf(match) !== request.challenge_confirmed_by,
  );
  const review = request.approved ? undefined : first(pending, 'review');
  const challenges = pending.filter((match) => match.rule.action === 'challenge');
  const unanswerable =
    first(pending, 'block') ??
    (request.unattended !== undefined ? (review ?? challenges[0]) : undefined) ??
    (review === undefined && request.challenges === undefined ? challenges[0] : undefined);
  if (unanswerable !== undefined)
    return {
      verdict: 'refuse',
      error: refusal(unanswerable),
      after: (client) =>
        recordDecisions(
          client,
          request,
          matches,
          list.map(() => request.unattended?.object_id ?? null),
        ),
    };
  if (verdict?.verdict === 'approval' || review !== undefined)
    return { verdict: 'park', park: (client) => park(client, request, list, matches, review, verdict) };
  const [challenge] = challenges;
  if (challenge !== undefined && request.challenges !== undefined) {
    const settings = request.challenges;
    const holders = new Set(challenges.map(holderOf));
    const [holder_id = null] = holders.size === 1 ? holders : [];
    return {
      verdict: 'park',
      park: (client) =>
        parkForCode(client, { request, settings, movements: list, matches, challenge, holder_id }),
    };
  }
  mine.keep();
  return {
    verdict: 'proceed',
    after: async (client, value, later) => {
      const ids = objects(value);
      // One object made by several movements (a refund taking back from every part) is each one's.
      const done = list.map((_, index) => (ids.length === 1 ? ids[0] : ids[index]));
      if (verdict?.verdict === 'allow') await verdict.commit(client, done);
      if (rules.some(countsMovements)) await logMovements(later ?? client, request, list, wallets, done);
      const flagged = matches.filter((match) => done[match.movement_index] !== undefined);
      await recordDecisions(
        client,
        request,
        flagged,
        list.map((_, index) => done[index] ?? null),
      );
    },
  };
}

/**
 * Money that already arrived is held for review where a rule would block it or ask its holder for a
 * code: refusing it, or a challenge nobody confirms, would lose it.
 */
function heldNotRefused(matches: RiskMatch[], movements: readonly Movement[]): RiskMatch[] {
  return matches.map((match) =>
    (match.rule.action === 'block' || match.rule.action === 'challenge') &&
    movements[match.movement_index]?.arrived === true
      ? {
          ...match,
          rule: { ...match.rule, action: 'review' },
          detail: `${match.detail}; the money has arrived, so it is held for review rather than refused`,
        }
      : match,
  );
}

function first(matches: readonly RiskMatch[], action: RiskMatch['rule']['action']): RiskMatch | undefined {
  return matches.find((match) => match.rule.action === action);
}

/** The refusal of a movement a rule blocks, or asks about where nobody can answer. */
function refusal(match: RiskMatch) {
  const { action, id, name } = match.rule;
  const asks =
    action === 'block'
      ? 'blocked this'
      : `asks for ${action === 'review' ? 'a review' : "the holder's code"}, which nothing can answer here`;
  return domainError('risk_blocked', `Risk rule ${id} (${name}) ${asks}: ${match.detail}.`);
}

/**
 * Parks a movement until its holder confirms it with a code (the paying wallet's holder; for a
 * pay-in, the holder of the wallet paid into). A request no one holder can confirm (a platform
 * wallet's movement, movements of several holders in one batch, or a holder with no channel in
 * live mode) is parked for an operator instead.
 */
async function parkForCode(
  db: Client,
  at: {
    request: GuardRequest;
    settings: ChallengeSettings;
    movements: readonly Movement[];
    matches: readonly RiskMatch[];
    challenge: RiskMatch;
    holder_id: string | null;
  },
): Promise<unknown> {
  const { request, movements, challenge } = at;
  const reach =
    at.holder_id === null ? undefined : await reachOf(db, request.auth.livemode, at.holder_id, at.settings);
  if (at.holder_id === null || reach === undefined) {
    const review = { ...challenge, detail: `${challenge.detail}; no one holder can confirm it with a code` };
    return park(db, request, movements, at.matches, review, undefined);
  }
  const { asset, amount_minor } = totalOf(movements);
  const created = await createPaymentChallenge(db, {
    livemode: request.auth.livemode,
    holder_id: at.holder_id,
    reach,
    api_key_id: request.auth.key_id,
    approved: request.approved,
    route: request.route,
    params: request.params,
    body: withoutCardNumbers(request.body),
    request_id: request.request_id,
    risk_rule_id: challenge.rule.id,
    asset,
    amount_minor,
    settings: at.settings,
    now: request.now,
  });
  await recordDecisions(
    db,
    request,
    at.matches,
    movements.map(() => created.id),
  );
  return created;
}

/** The amount a parked request moves, in its first movement's asset. */
/**
 * The four-eyes rule (docs/dashboard.md): a refund an operator asks for, at or above the
 * threshold, is parked for a second operator, like a spend policy's approval threshold.
 */
function fourEyes(request: GuardRequest, movements: readonly Movement[]) {
  const threshold = request.four_eyes_refund_minor;
  if (request.auth.operator === undefined || request.approved || threshold === undefined) return undefined;
  if (request.route !== 'POST /v1/refunds') return undefined;
  const { asset, amount_minor } = totalOf(movements);
  if (amount_minor < threshold) return undefined;
  return {
    verdict: 'approval' as const,
    reason: 'four_eyes' as const,
    detail: `A refund of ${amount_minor} minor units of ${asset} by an operator needs a second operator's approval.`,
  };
}

function totalOf(movements: readonly Movement[]): { asset: string; amount_minor: bigint } {
  const [first_movement] = movements;
  const amount_minor = movements
    .filter((movement) => movement.currency === first_movement?.currency)
    .reduce((sum, movement) => sum + movement.amount_minor, 0n);
  return { asset: first_movement?.currency ?? '', amount_minor };
}

async function park(
  db: Client,
  request: GuardRequest,
  movements: readonly Movement[],
  matches: readonly RiskMatch[],
  review: RiskMatch | undefined,
  verdict: { verdict: string; detail?: string; reason?: 'four_eyes' } | undefined,
): Promise<unknown> {
  const { asset, amount_minor } = totalOf(movements);
  const approval = await createApproval(db, {
    livemode: request.auth.livemode,
    reason: verdict?.verdict === 'approval' ? (verdict.reason ?? 'spend_policy') : 'risk_review',
    detail:
      verdict?.verdict === 'approval'
        ? (verdict.detail ?? '')
        : `Risk rule ${review?.rule.id} (${review?.rule.name}) asks for a review: ${review?.detail}.`,
    risk_rule_id: review?.rule.id ?? null,
    api_key_id: request.auth.key_id,
    route: request.route,
    params: request.params,
    body: withoutCardNumbers(request.body),
    request_id: request.request_id,
    asset,
    amount_minor,
    expires_at: new Date(request.now.getTime() + request.approval_ttl_s * 1000),
    now: request.now,
  });
  await recordDecisions(
    db,
    request,
    matches,
    movements.map(() => approval.id),
  );
  return approval;
}

/** A restricted key may pay only from its own wallets; others do not exist for it. */
async function hiddenSource(db: Queryable, auth: AuthContext, movements: readonly Movement[]) {
  if (auth.restrictions === null) return undefined;
  const sources = movements.map((movement) => movement.source_wallet_id);
  const permitted = await permittedWallets(db, auth.restrictions, sources);
  const hidden = movements.find((movement) => !permitted.has(movement.source_wallet_id));
  return hidden === undefined ? undefined : notFound('wallet', hidden.source_wallet_id, hidden.source_param);
}

/** What the risk rules read of the wallets these movements touch: holder, tier, age and balance. */
export async function walletFacts(db: Queryable, livemode: boolean, movements: readonly Movement[]) {
  const ids = movements.flatMap((movement) => [
    movement.source_wallet_id,
    ...movement.destination_wallet_ids,
  ]);
  const result = await db.query<{
    id: string;
    holder_id: string | null;
    kyc_tier: number | null;
    created_at: Date;
    balance_minor: string;
  }>(
    // A tier's balance cap counts what processing pay-ins will credit too: a bank debit screened
    // now is credited later without another check (migration 0016 indexes the few processing ones).
    `SELECT a.id, a.holder_id, h.kyc_tier, a.created_at,
       (a.posted_credits - a.posted_debits + a.pending_credits + CASE WHEN h.kyc_tier IS NULL THEN 0 ELSE coalesce((
         SELECT sum((leg->>'amount_minor')::numeric) FROM payments p CROSS JOIN jsonb_array_elements(p.legs) AS leg
         WHERE p.status = 'processing' AND p.livemode = a.livemode AND leg->>'wallet_id' = a.id), 0) END)::text AS balance_minor
     FROM accounts a LEFT JOIN holders h ON h.id = a.holder_id
     WHERE a.id = ANY($1::text[]) AND a.livemode = $2 AND a.kind = 'wallet'`,
    [[...new Set(ids)], livemode],
  );
  return new Map<string, WalletFacts>(
    result.rows.map((row) => [row.id, { ...row, balance_minor: BigInt(row.balance_minor) }]),
  );
}

/** What went through, for velocity rules and a tier's outflow and inflow caps later. */
async function logMovements(
  db: Queryable,
  request: GuardRequest,
  movements: readonly Movement[],
  wallets: ReadonlyMap<string, WalletFacts>,
  done: readonly (string | undefined)[],
): Promise<void> {
  const moved = movements.flatMap((movement, index) =>
    done[index] === undefined ? [] : loggedMovements(request.auth.key_id, movement, wallets),
  );
  if (moved.length === 0) return;
  // Every column an array, so that a batch's jobs' logs join into one INSERT (db/deferred.ts).
  await db.query(
    `INSERT INTO movement_log (livemode, api_key_id, direction, source_wallet_id, holder_id, asset, amount_minor, created_at)
     SELECT * FROM unnest($1::boolean[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[], $8::timestamptz[])`,
    [
      moved.map(() => request.auth.livemode),
      moved.map(() => request.auth.key_id),
      moved.map((movement) => movement.direction),
      moved.map((movement) => movement.source_wallet_id),
      moved.map((movement) => movement.holder_id),
      moved.map((movement) => movement.asset),
      moved.map((movement) => movement.amount_minor.toString()),
      moved.map(() => request.now),
    ],
  );
}
