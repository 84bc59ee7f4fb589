import { DeferredInserts } from '../db/deferred.js';
import type { Client } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import type { DomainError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { lockAccounts } from './accounts.js';
import { type AccountState, applyEntry, type ComputedPosting, type EntryIntent } from './entries.js';

export interface WrittenEntry {
  readonly transaction_id: string;
  readonly postings: readonly ComputedPosting[];
}

export type EntryOutcome =
  | { readonly ok: true; readonly value: WrittenEntry }
  | { readonly ok: false; readonly error: DomainError };

/**
 * The one function that writes the ledger. Locks every touched account once, in id order (or takes
 * the caller's locked set, which must hold every account the entries move); applies
 * the entries in order against the running balances, so an entry that fails its checks is refused
 * alone while the others go through; then writes all journal entries, postings and balances with
 * one multi-row statement each. Callers own the transaction: nothing is visible until it commits,
 * and the deferred trigger re-checks at commit that every entry balances.
 */
export async function writeEntries(
  db: Client,
  entries: readonly EntryIntent[],
  now: Date,
  /** Accounts the caller already locked (with `lockAccounts`, in this transaction): no second lock. */
  locked?: Map<string, AccountState>,
  /** Where to queue the writes to go with the caller's others in one statement; absent: at once. */
  later?: DeferredInserts,
): Promise<EntryOutcome[]> {
  const ids = entries.flatMap((entry) => entry.movements.flatMap((movement) => [movement.from, movement.to]));
  const accounts = locked ?? (await lockAccounts(db, ids));
  const outcomes: EntryOutcome[] = [];
  const written: Written[] = [];
  for (const entry of entries) {
    const result = applyEntry(accounts, entry);
    if (!Array.isArray(result)) {
      outcomes.push({ ok: false, error: result });
      continue;
    }
    const id = entry.own_entry === true ? entry.reference_id : newId('ledger_transaction', now.getTime());
    written.push({ entry, id, postings: result });
    outcomes.push({ ok: true, value: { transaction_id: id, postings: result } });
  }
  if (written.length > 0) await persist(later ?? db, written, accounts, now);
  return outcomes;
}

type Written = { entry: EntryIntent; id: string; postings: ComputedPosting[] };

/**
 * Writes the journal entries (but those that are their own transfers'), their postings and the
 * accounts' new balances in one statement (each statement has a fixed cost in both processes; see
 * "CPU per transfer" in docs/decisions.md), or queues them to go in the caller's one statement.
 * The statement-level triggers on postings run at the statement's end and see the entries
 * inserted beside them.
 */
async function persist(
  target: Client | DeferredInserts,
  written: readonly Written[],
  accounts: Map<string, AccountState>,
  now: Date,
): Promise<void> {
  const postings = written.flatMap((w) => w.postings.map((posting) => ({ transaction_id: w.id, posting })));
  const changed = [...new Set(postings.map((p) => p.posting.account_id))].map((id) => {
    const account = accounts.get(id);
    assert(account !== undefined, 'posted account is loaded');
    return account;
  });
  const deferred = target instanceof DeferredInserts ? target : new DeferredInserts();
  const headed = written.filter((w) => w.entry.own_entry !== true);
  if (headed.length > 0)
    await deferred.queryable.query(
      `INSERT INTO ledger_transactions (id, livemode, reason, reference_id, effective_at, created_at)
     SELECT *, $1::timestamptz, $1::timestamptz FROM unnest($2::text[], $3::boolean[], $4::text[], $5::text[])`,
      [
        now,
        headed.map((w) => w.id),
        headed.map((w) => w.entry.livemode),
        headed.map((w) => w.entry.reason),
        headed.map((w) => w.entry.reference_id),
      ],
    );
  await deferred.queryable.query(
    // created_at_max, the running maximum of created_at along the account (migration 0035, read by
    // balance?at=): $1 or the account's last earlier posting's, whichever is later. This statement's
    // postings of an account are all dated $1 and follow that one (numbered first_seq - 1): one
    // probe of the accounts' ids, for the account's number (migration 0041), and one of the
    // postings' key per account, not per posting. The join to accounts drops nothing: each was
    // locked above and accounts are never deleted (and an entry missing a posting would not balance).
    `INSERT INTO postings (transaction_id, account_number, account_seq, asset, side, layer, release, amount,
       posted_after, held_after, incoming_after, created_at, created_at_max)
     SELECT u.transaction_id, before.number, u.account_seq, u.asset, u.side, u.layer, u.release, u.amount,
       u.posted_after, u.held_after, u.incoming_after, $1::timestamptz, greatest($1::timestamptz, before.created_at_max)
     FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
       $7::text[], $8::boolean[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[])
       AS u (transaction_id, account_id, account_seq, asset, side, layer, release, amount, posted_after,
         held_after, incoming_after)
     JOIN (SELECT a.id, a.number, (SELECT p.created_at_max FROM postings p
             WHERE p.account_number = a.number AND p.account_seq = f.first_seq - 1) AS created_at_max
           FROM (SELECT account_id, min(account_seq) AS first_seq FROM unnest($3::text[], $4::bigint[])
             AS f (account_id, account_seq) GROUP BY account_id) f
           JOIN accounts a ON a.id = f.account_id) before ON before.id = u.account_id`,
    [
      now,
      postings.map((p) => p.transaction_id),
      postings.map((p) => p.posting.account_id),
      postings.map((p) => p.posting.account_seq.toString()),
      postings.map((p) => p.posting.asset),
      postings.map((p) => p.posting.side),
      postings.map((p) => p.posting.layer),
      postings.map((p) => p.posting.release),
      postings.map((p) => p.posting.amount_minor.toString()),
      postings.map((p) => p.posting.posted_after.toString()),
      postings.map((p) => p.posting.held_after.toString()),
      postings.map((p) => p.posting.incoming_after.toString()),
    ],
  );
  deferred.update(
    `UPDATE accounts SET posted_debits = u.pd, posted_credits = u.pc, pending_debits = u.hd, pending_credits = u.hc,
       postings_count = u.n, version = version + 1
     FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[], $6::bigint[]) AS u (id, pd, pc, hd, hc, n)
     WHERE accounts.id = u.id`,
    [
      changed.map((a) => a.id),
      changed.map((a) => a.posted_debits.toString()),
      changed.map((a) => a.posted_credits.toString()),
      changed.map((a) => a.pending_debits.toString()),
      changed.map((a) => a.pending_credits.toString()),
      changed.map((a) => a.postings_count.toString()),
    ],
    changed.length,
  );
  if (!(target instanceof DeferredInserts)) await deferred.flush(target);
}
