import { describe, expect, it } from 'vitest';
import { amount_minor_max } from '../shared/money.js';
import { type AccountState, applyEntry, type ComputedPosting, type Movement } from './entries.js';

/** How an entry's movements become postings: one per account, side and layer where they follow. */
function account(id: string, posted_credits = 0n, pending_debits = 0n, pending_credits = 0n): AccountState {
  return {
    id,
    livemode: false,
    asset: 'USD',
    kind: 'system',
    status: 'active',
    floor_minor: null,
    posted_debits: 0n,
    posted_credits,
    pending_debits,
    pending_credits,
    postings_count: 0n,
  };
}

function postingsOf(accounts: AccountState[], movements: Movement[]): ComputedPosting[] {
  const map = new Map(accounts.map((state) => [state.id, state]));
  const result = applyEntry(map, { livemode: false, reason: 'test', reference_id: 'tr_test', movements });
  if (!Array.isArray(result)) throw new Error(`refused: ${result.detail}`);
  return result;
}

const brief = (postings: ComputedPosting[]) =>
  postings.map((p) => [
    p.account_id,
    p.side,
    p.layer,
    p.release,
    p.amount_minor,
    p.account_seq,
    p.posted_after,
  ]);

describe('postings of an entry', () => {
  it('gives a transfer with a fee one debit of its source and a credit each to the destination and the fee', () => {
    const accounts = [account('source', 100n), account('destination'), account('fee')];
    const postings = postingsOf(accounts, [
      { from: 'source', to: 'destination', amount_minor: 29n, layer: 'posted' },
      { from: 'source', to: 'fee', amount_minor: 1n, layer: 'posted' },
    ]);
    expect(brief(postings)).toEqual([
      ['source', 'debit', 'posted', false, 30n, 1n, 70n],
      ['destination', 'credit', 'posted', false, 29n, 1n, 29n],
      ['fee', 'credit', 'posted', false, 1n, 1n, 1n],
    ]);
  });

  it('keeps apart what differs in side or layer, and what another line of the account came between', () => {
    const accounts = [account('a', 100n, 5n), account('b', 0n, 0n, 5n)];
    const postings = postingsOf(accounts, [
      { from: 'a', to: 'b', amount_minor: 5n, layer: 'release' },
      { from: 'a', to: 'b', amount_minor: 7n, layer: 'pending' },
      { from: 'a', to: 'b', amount_minor: 7n, layer: 'release' },
      { from: 'b', to: 'a', amount_minor: 2n, layer: 'posted' },
      { from: 'a', to: 'b', amount_minor: 3n, layer: 'posted' },
    ]);
    expect(postings.map((p) => [p.account_id, p.side, p.layer, p.release, p.amount_minor])).toEqual([
      ['a', 'debit', 'pending', true, 5n],
      ['b', 'credit', 'pending', true, 5n],
      ['a', 'debit', 'pending', false, 7n],
      ['b', 'credit', 'pending', false, 7n],
      // A release of the hold just made: not added to the release before the hold.
      ['a', 'debit', 'pending', true, 7n],
      ['b', 'credit', 'pending', true, 7n],
      ['b', 'debit', 'posted', false, 2n],
      ['a', 'credit', 'posted', false, 2n],
      ['a', 'debit', 'posted', false, 3n],
      ['b', 'credit', 'posted', false, 3n],
    ]);
    expect(accounts[0]?.pending_debits).toBe(0n);
  });

  it('starts another posting where the sum would pass the largest amount', () => {
    const accounts = [account('source', 2n * amount_minor_max), account('x'), account('y')];
    const postings = postingsOf(accounts, [
      { from: 'source', to: 'x', amount_minor: amount_minor_max, layer: 'posted' },
      { from: 'source', to: 'y', amount_minor: 1n, layer: 'posted' },
    ]);
    expect(postings.map((p) => [p.account_id, p.side, p.amount_minor])).toEqual([
      ['source', 'debit', amount_minor_max],
      ['x', 'credit', amount_minor_max],
      ['source', 'debit', 1n],
      ['y', 'credit', 1n],
    ]);
  });
});
