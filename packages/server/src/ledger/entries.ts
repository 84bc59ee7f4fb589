import { assert } from '../shared/assert.js';
import { type DomainError, domainError } from '../shared/errors.js';
import { amount_minor_max, balance_minor_max } from '../shared/money.js';

/**
 * A movement of `amount_minor` from one account to another on one layer: `posted` moves money,
 * `pending` reserves it (a hold: `from`'s held and `to`'s incoming grow), `release` undoes part of
 * an earlier pending movement between the same two accounts. Each is a debit on `from` and a
 * credit on `to` (linesOf), so every entry balances by construction.
 */
export interface Movement {
  readonly from: string;
  readonly to: string;
  readonly amount_minor: bigint;
  readonly layer: 'posted' | 'pending' | 'release';
}

/** One journal entry to write: what caused it and its movements, applied atomically. */
export interface EntryIntent {
  readonly livemode: boolean;
  readonly reason: string;
  readonly reference_id: string;
  readonly movements: readonly Movement[];
  /**
   * The entry is the transfer `reference_id` itself (migration 0045): its postings name that id,
   * and the transfer row, written in the same statement, is its header in place of a row of
   * `ledger_transactions`.
   */
  readonly own_entry?: boolean;
}

export interface AccountState {
  readonly id: string;
  readonly livemode: boolean;
  readonly asset: string;
  readonly kind: 'wallet' | 'system';
  readonly status: 'active' | 'frozen' | 'closed';
  /** null: no floor (system accounts). */
  readonly floor_minor: bigint | null;
  posted_debits: bigint;
  posted_credits: bigint;
  pending_debits: bigint;
  pending_credits: bigint;
  /** Postings applied so far: the next posting's sequence number is this plus one. */
  postings_count: bigint;
}

export interface ComputedPosting {
  readonly account_id: string;
  readonly account_seq: bigint;
  readonly asset: string;
  readonly side: 'debit' | 'credit';
  readonly layer: 'posted' | 'pending';
  readonly release: boolean;
  readonly amount_minor: bigint;
  readonly posted_after: bigint;
  readonly held_after: bigint;
  readonly incoming_after: bigint;
}

export function availableOf(account: AccountState): bigint {
  return account.posted_credits - account.posted_debits - account.pending_debits;
}

/**
 * Applies an entry to account states (mutating them) and returns its postings, or the domain
 * error that refuses it, in which case no state was changed. Pure: no I/O.
 */
export function applyEntry(
  accounts: ReadonlyMap<string, AccountState>,
  entry: EntryIntent,
): ComputedPosting[] | DomainError {
  const refusal = checkEntry(accounts, entry);
  if (refusal !== undefined) return refusal;
  const before = new Map([...touched(accounts, entry)].map((account) => [account.id, { ...account }]));
  const postings = linesOf(entry.movements).map((line) =>
    post(mustGet(accounts, line.account_id), line.side, line.layer, line.amount_minor),
  );
  for (const account of touched(accounts, entry)) {
    const previous = before.get(account.id);
    assert(previous !== undefined, 'touched account has a snapshot');
    const refusal = floorRefusal(account, previous) ?? ceilingRefusal(account, previous);
    if (refusal !== undefined) {
      for (const [id, snapshot] of before) Object.assign(mustGet(accounts, id), snapshot);
      return refusal;
    }
  }
  return postings;
}

function floorRefusal(account: AccountState, previous: AccountState): DomainError | undefined {
  if (account.floor_minor === null) return undefined;
  if (availableOf(account) >= account.floor_minor || availableOf(account) >= availableOf(previous))
    return undefined;
  return {
    ...domainError('insufficient_funds', `Wallet ${account.id} has insufficient available funds.`),
    subject: account.id,
  };
}

/**
 * Refuses a balance, held or incoming amount past `balance_minor_max` either way (system accounts
 * go negative), unless the entry brought it closer to zero.
 */
function ceilingRefusal(account: AccountState, previous: AccountState): DomainError | undefined {
  const magnitudes = (state: AccountState) => [
    abs(state.posted_credits - state.posted_debits),
    state.pending_debits,
    state.pending_credits,
  ];
  const was = magnitudes(previous);
  const over = magnitudes(account).some(
    (magnitude, index) => magnitude > balance_minor_max && magnitude > (was[index] ?? 0n),
  );
  if (!over) return undefined;
  return {
    ...domainError(
      'balance_limit_exceeded',
      `The movement would take account ${account.id} past the largest balance, ${balance_minor_max} minor units.`,
    ),
    subject: account.id,
  };
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

function checkEntry(
  accounts: ReadonlyMap<string, AccountState>,
  entry: EntryIntent,
): DomainError | undefined {
  assert(entry.movements.length > 0, 'an entry needs movements');
  for (const movement of entry.movements) {
    assert(
      movement.amount_minor > 0n && movement.amount_minor <= amount_minor_max,
      'movement amount out of range',
    );
    assert(movement.from !== movement.to, 'a movement needs two accounts');
    const from = mustGet(accounts, movement.from);
    const to = mustGet(accounts, movement.to);
    assert(from.livemode === entry.livemode && to.livemode === entry.livemode, 'an entry stays in one mode');
    if (from.asset !== to.asset) {
      return domainError(
        'currency_mismatch',
        `${from.id} holds ${from.asset} but ${to.id} holds ${to.asset}.`,
      );
    }
    if (movement.layer === 'release') continue;
    for (const account of [from, to]) {
      if (account.status === 'frozen')
        return { ...domainError('wallet_frozen', `Wallet ${account.id} is frozen.`), subject: account.id };
      if (account.status === 'closed')
        return { ...domainError('wallet_closed', `Wallet ${account.id} is closed.`), subject: account.id };
    }
  }
  return undefined;
}

/** What one posting will say before it is applied: an account, a side, a layer and an amount. */
interface Line {
  readonly account_id: string;
  readonly side: 'debit' | 'credit';
  readonly layer: Movement['layer'];
  amount_minor: bigint;
}

/**
 * The entry's postings before they are applied: a debit on each movement's `from` and a credit on
 * its `to`, where a line follows the account's previous line of the entry on the same side and
 * layer, added into it. A transfer of 2 with a fee of 1 is then a debit of 2 on its source and two
 * credits, not two debits of 1: the payer's history has one line per transfer, and the ledger a
 * quarter fewer postings (docs/decisions.md, "One posting per account and side"). Only the
 * account's latest line is added to, so the lines keep the order of the movements on each account
 * (a release never moves ahead of the hold it undoes), and a sum is not taken past
 * `amount_minor_max`, the largest posting the database accepts.
 */
function linesOf(movements: readonly Movement[]): Line[] {
  const lines: Line[] = [];
  const latest = new Map<string, Line>();
  const add = (account_id: string, side: Line['side'], layer: Line['layer'], amount_minor: bigint) => {
    const line = latest.get(account_id);
    if (
      line !== undefined &&
      line.side === side &&
      line.layer === layer &&
      line.amount_minor + amount_minor <= amount_minor_max
    ) {
      line.amount_minor += amount_minor;
      return;
    }
    const started = { account_id, side, layer, amount_minor };
    lines.push(started);
    latest.set(account_id, started);
  };
  for (const movement of movements) {
    add(movement.from, 'debit', movement.layer, movement.amount_minor);
    add(movement.to, 'credit', movement.layer, movement.amount_minor);
  }
  return lines;
}

function post(
  account: AccountState,
  side: 'debit' | 'credit',
  layer: Movement['layer'],
  amount: bigint,
): ComputedPosting {
  if (layer === 'posted') {
    if (side === 'debit') account.posted_debits += amount;
    else account.posted_credits += amount;
  } else {
    const sign = layer === 'release' ? -1n : 1n;
    if (side === 'debit') account.pending_debits += sign * amount;
    else account.pending_credits += sign * amount;
  }
  assert(
    account.pending_debits >= 0n && account.pending_credits >= 0n,
    `release beyond the pending amount on ${account.id}`,
  );
  account.postings_count += 1n;
  return {
    account_id: account.id,
    account_seq: account.postings_count,
    asset: account.asset,
    side,
    layer: layer === 'posted' ? 'posted' : 'pending',
    release: layer === 'release',
    amount_minor: amount,
    posted_after: account.posted_credits - account.posted_debits,
    held_after: account.pending_debits,
    incoming_after: account.pending_credits,
  };
}

function touched(accounts: ReadonlyMap<string, AccountState>, entry: EntryIntent): Set<AccountState> {
  const result = new Set<AccountState>();
  for (const movement of entry.movements) {
    result.add(mustGet(accounts, movement.from));
    result.add(mustGet(accounts, movement.to));
  }
  return result;
}

function mustGet(accounts: ReadonlyMap<string, AccountState>, id: string): AccountState {
  const account = accounts.get(id);
  assert(account !== undefined, `account ${id} was not loaded`);
  return account;
}
