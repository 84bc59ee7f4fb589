import type { Client, Queryable } from '../db/pool.js';
import type { DomainError } from '../shared/errors.js';
import type { Result } from '../shared/result.js';

/**
 * What the access checks (spend policy, restrictions, risk rules) decided about a money movement
 * before it runs: go ahead (then `after` records what was moved), refuse with a problem (`after`
 * records why, outside the rolled-back checks), or park it as an approval (HTTP 202 with `park`'s
 * result, the approval).
 */
export type Screen<T> =
  | {
      readonly verdict: 'proceed';
      /**
       * Records what moved. `later`, when given, takes the writes nobody reads back (a batch's
       * trailing statement, db/deferred.ts), so a batch of screened jobs adds no round trip each.
       */
      readonly after: (db: Client, value: T, later?: Queryable) => Promise<void>;
    }
  | { readonly verdict: 'refuse'; readonly error: DomainError; readonly after: (db: Client) => Promise<void> }
  | { readonly verdict: 'park'; readonly park: (db: Client) => Promise<unknown> };

/**
 * Runs access checks that write nothing (a key without a spend policy: its checks only read and
 * lock), so there is no savepoint to take or roll back: a batch of such jobs saves a round trip and
 * a subtransaction each. A refusal's `after` records why; a park is returned with `park` to call.
 */
export async function screenReadOnly<T>(
  db: Client,
  screen: () => Promise<Screen<T>>,
): Promise<Extract<Screen<T>, { verdict: 'proceed' }> | Stopped> {
  const verdict = await screen();
  if (verdict.verdict === 'refuse') await verdict.after(db);
  return verdict;
}

/** A screen that was not `proceed`, once its savepoint is rolled back: the request is not run. */
export type Stopped =
  | { readonly verdict: 'refuse'; readonly error: DomainError }
  | { readonly verdict: 'park'; readonly park: (db: Client) => Promise<unknown> };

/**
 * Runs access checks in a savepoint. Checks write and lock as they go (a spend policy creates and
 * locks its counter rows), so a refusal or a park rolls all of that back, then records why (a
 * refusal's `after`, outside the rollback). A park is returned with its `park` still to call, as
 * an approval that parks again is refused instead. Every path runs its checks through here, so
 * none keeps what a refused request's checks wrote.
 */
export async function screenInSavepoint<T>(
  db: Client,
  screen: () => Promise<Screen<T>>,
  savepoint = 'screen',
): Promise<Extract<Screen<T>, { verdict: 'proceed' }> | Stopped> {
  await db.query(`SAVEPOINT ${savepoint}`);
  const verdict = await screen();
  if (verdict.verdict === 'proceed') return verdict;
  await db.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
  if (verdict.verdict === 'park') return verdict;
  await verdict.after(db);
  return verdict;
}

/** How a screened request ended: refused or parked by its checks, or run (ok or a domain error). */
export type Applied<T> = Stopped | { readonly verdict: 'ran'; readonly result: Result<T> };

/**
 * Screens a request, then runs its effect, both in one savepoint: a refusal or park rolls back the
 * checks (see `screenInSavepoint`), a domain error rolls back the effect and the checks, and a
 * success records what moved (`after`) in the same transaction. The savepoint is named by the
 * caller, so that one request run inside another's (an approval executing the approved request)
 * never rolls back to the other's.
 */
export async function screenAndApply<T>(
  db: Client,
  savepoint: string,
  screen: (() => Promise<Screen<T>>) | undefined,
  effect: () => Promise<Result<T>>,
): Promise<Applied<T>> {
  const verdict = screen === undefined ? undefined : await screenInSavepoint(db, screen, savepoint);
  if (verdict !== undefined && verdict.verdict !== 'proceed') return verdict;
  if (verdict === undefined) await db.query(`SAVEPOINT ${savepoint}`);
  const result = await effect();
  if (result.ok) await verdict?.after(db, result.value);
  else await db.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
  return { verdict: 'ran', result };
}
