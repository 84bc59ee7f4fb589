import { describe, expect, it } from 'vitest';
import { amount_minor_max, balance_minor_max } from '../shared/money.js';
import { type AccountState, applyEntry, type Movement } from './entries.js';

/** The balance ceiling of the pure core (issue 13, defect 12): no counter can reach NUMERIC(39,0)'s end. */
function account(
  id: string,
  kind: 'wallet' | 'system',
  posted_credits = 0n,
  posted_debits = 0n,
): AccountState {
  return {
    id,
    livemode: false,
    asset: 'USD',
    kind,
    status: 'active',
    floor_minor: kind === 'wallet' ? 0n : null,
    posted_debits,
    posted_credits,
    pending_debits: 0n,
    pending_credits: 0n,
    postings_count: 0n,
  };
}

function apply(accounts: AccountState[], movements: Movement[]) {
  const map = new Map(accounts.map((state) => [state.id, state]));
  return applyEntry(map, { livemode: false, reason: 'test', reference_id: 'tr_test', movements });
}

describe('balance ceiling', () => {
  it('refuses a movement that takes a wallet past balance_minor_max, and changes nothing', () => {
    const clearing = account('acc_clearing', 'system');
    const wallet = account('acc_wallet', 'wallet', balance_minor_max - amount_minor_max + 1n);
    const before = { ...wallet };
    const result = apply(
      [clearing, wallet],
      [{ from: clearing.id, to: wallet.id, amount_minor: amount_minor_max, layer: 'posted' }],
    );
    expect(result).toMatchObject({ code: 'balance_limit_exceeded', subject: wallet.id });
    expect(wallet).toEqual(before);
    expect(clearing.posted_debits).toBe(0n);
  });

  it('refuses a system account going past it below zero, and counts the whole batch', () => {
    const clearing = account('acc_clearing', 'system', 0n, balance_minor_max - amount_minor_max);
    const a = account('acc_a', 'wallet');
    const b = account('acc_b', 'wallet');
    const movement = (to: string): Movement => ({
      from: clearing.id,
      to,
      amount_minor: amount_minor_max,
      layer: 'posted',
    });
    expect(Array.isArray(apply([clearing, a, b], [movement(a.id)]))).toBe(true);
    expect(apply([clearing, a, b], [movement(b.id)])).toMatchObject({
      code: 'balance_limit_exceeded',
      subject: clearing.id,
    });
  });

  it('refuses a hold past it on the incoming side', () => {
    const source = account('acc_source', 'system');
    const wallet = account('acc_wallet', 'wallet');
    wallet.pending_credits = balance_minor_max;
    expect(
      apply([source, wallet], [{ from: source.id, to: wallet.id, amount_minor: 1n, layer: 'pending' }]),
    ).toMatchObject({
      code: 'balance_limit_exceeded',
    });
  });

  it('reaching the ceiling exactly, and moving away from it, are fine', () => {
    const clearing = account('acc_clearing', 'system');
    const wallet = account('acc_wallet', 'wallet', balance_minor_max - amount_minor_max);
    const other = account('acc_other', 'wallet');
    expect(
      Array.isArray(
        apply(
          [clearing, wallet],
          [{ from: clearing.id, to: wallet.id, amount_minor: amount_minor_max, layer: 'posted' }],
        ),
      ),
    ).toBe(true);
    expect(wallet.posted_credits).toBe(balance_minor_max);
    expect(
      Array.isArray(
        apply([wallet, other], [{ from: wallet.id, to: other.id, amount_minor: 1n, layer: 'posted' }]),
      ),
    ).toBe(true);
  });
});
