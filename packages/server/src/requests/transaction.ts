import { type AuditEntry, appendAudit } from '../audit/append.js';
import type { Limits } from '../config.js';
import type { Client, Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError } from '../shared/errors.js';
import {
  inUse,
  type KeyRef,
  keyId,
  lockKeys,
  type Replay,
  recordResponses,
  replayOf,
  storedResponses,
} from './idempotency-store.js';

/**
 * The steps every state-changing request takes in its database transaction, written once for the
 * three places that run them: one request (http/mutation.ts), a batch of transfers
 * (transfers/group-commit.ts) and an approved request (approvals/decide.ts).
 */

/** An idempotency key to claim, with the fingerprint of the request that carries it. */
export interface Claim extends KeyRef {
  readonly fingerprint: Buffer;
}

/**
 * Opens the transaction with its lock waits bounded: the first locks taken are the idempotency
 * keys' (when `claiming`), bounded by `idempotency_wait_ms_max`; `claimKeys` then switches to
 * `lock_wait_ms_max` for the rows the effect locks. One round trip: a simple query may hold several
 * statements.
 */
export async function begin(db: Client, limits: Limits, claiming: boolean): Promise<void> {
  const wait_ms = claiming ? limits.idempotency_wait_ms_max : limits.lock_wait_ms_max;
  await db.query(`BEGIN; SET LOCAL lock_timeout = ${Math.trunc(wait_ms)}`);
}

/**
 * Locks the keys (waiting, bounded, for requests holding them) and returns, by key id, the replay
 * of each key already answered. A key still held past the wait aborts the transaction with 409
 * idempotency_key_in_use. The claims must be of distinct keys: two requests with one key in one
 * transaction would both run.
 */
export async function claimKeys(
  db: Client,
  limits: Limits,
  claims: readonly Claim[],
): Promise<Map<string, Replay>> {
  const ids = claims.map(keyId);
  assert(new Set(ids).size === ids.length, 'one claim per idempotency key in a transaction');
  try {
    await lockKeys(db, claims);
  } catch (error) {
    if (databaseCode(error) === lock_not_available) throw new AbortedRequest(inUse());
    throw error;
  }
  if (limits.lock_wait_ms_max !== limits.idempotency_wait_ms_max)
    await db.query(`SET LOCAL lock_timeout = ${Math.trunc(limits.lock_wait_ms_max)}`);
  const stored = await storedResponses(db, claims);
  const replays = new Map<string, Replay>();
  for (const claim of claims) {
    const response = stored.get(keyId(claim));
    if (response !== undefined) replays.set(keyId(claim), replayOf(response, claim.fingerprint));
  }
  return replays;
}

/** How a request was answered, to record before its transaction commits. */
export interface Answer {
  /** The key to record the answer under; undefined without a key, or for a replay. */
  readonly claim: Claim | undefined;
  readonly status: number;
  /** What a replay will return: the body, or a redacted one (a created key without its secret). */
  readonly stored_body: string;
  readonly audit: AuditEntry;
}

/**
 * Records answers in the caller's transaction (or its deferred inserts): the idempotency records
 * of those with a key and every audit entry, one statement each whatever their number.
 */
export async function recordAnswers(db: Queryable, answers: readonly Answer[]): Promise<void> {
  await recordResponses(
    db,
    answers.flatMap(({ claim, status, stored_body }) =>
      claim === undefined ? [] : [{ ...claim, status, body: stored_body }],
    ),
  );
  await appendAudit(
    db,
    answers.map((answer) => answer.audit),
  );
}

/** Thrown when a request's transaction cannot go on, with the problem that answers the request. */
export class AbortedRequest extends Error {
  constructor(readonly problem: DomainError) {
    super(problem.detail);
  }
}

const lock_not_available = '55P03';
const deadlock_detected = '40P01';
const serialization_failure = '40001';

/**
 * The problem that answers a transaction that failed for a transient reason: a key in use, a row
 * lock held past `lock_wait_ms_max`, a deadlock or a serialization failure. The transaction rolled
 * back whole, so nothing was written or recorded and the same request may be sent again. Anything
 * else is undefined: a bug, answered 500.
 */
export function transientProblem(error: unknown): DomainError | undefined {
  if (error instanceof AbortedRequest) return error.problem;
  const code = databaseCode(error);
  if (code === lock_not_available || code === deadlock_detected || code === serialization_failure)
    return domainError(
      'lock_timeout',
      'Another request held an account or object this request needs; nothing was written. Send the same request again.',
    );
  return undefined;
}

function databaseCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
