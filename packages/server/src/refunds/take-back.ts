import type { Client } from '../db/pool.js';
import { findWallet, lockAccounts } from '../ledger/accounts.js';
import { type AccountState, availableOf, type Movement } from '../ledger/entries.js';
import { apportion } from '../ledger/splits.js';
import { domainError, notFound } from '../shared/errors.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { RefundPart } from './view.js';

/** An account that received part of the original money, and how much of it is still unrefunded. */
export interface Holding {
  readonly account_id: string;
  readonly received_minor: bigint;
  readonly remaining_minor: bigint;
}

export interface TakeBack {
  readonly movements: Movement[];
  readonly parts: RefundPart[];
  /** Per holding, in order: what this refund takes from it (cover included). */
  readonly shares: bigint[];
}

/**
 * What a refund of `amount_minor` takes from each holding, in order: the one split of a refund,
 * used to write it (`planTakeBack`) and to screen every wallet it makes pay (guard/movements-of.ts).
 */
export function takeBackShares(holdings: readonly Holding[], amount_minor: bigint): bigint[] {
  return apportion(
    holdings.map((holding) => holding.remaining_minor),
    amount_minor,
  );
}

/**
 * Plans how a refund takes money back: the amount is shared over the holdings by `apportion`, and
 * each share moves to `to` (the rail's clearing account, or a transfer's source wallet). Funds that
 * are still pending (an unsettled payment) are released instead, as they were never spendable. A
 * wallet that has spent its share gives what it can and the cover wallet pays the rest; without a
 * cover wallet the ledger refuses the refund with insufficient_funds.
 */
export async function planTakeBack(
  db: Client,
  holdings: readonly Holding[],
  amount_minor: bigint,
  to: string,
  options: { readonly pending: boolean; readonly cover_wallet_id: string | undefined },
): Promise<TakeBack> {
  const shares = takeBackShares(holdings, amount_minor);
  const ids = [...holdings.map((holding) => holding.account_id), to];
  if (options.cover_wallet_id !== undefined) ids.push(options.cover_wallet_id);
  // Every account is locked now, in id order, so the write that follows takes no new locks.
  const accounts = await lockAccounts(db, ids);
  const spendable = new Map([...accounts.values()].map((account) => [account.id, spendableOf(account)]));
  const movements: Movement[] = [];
  const parts: RefundPart[] = [];
  holdings.forEach((holding, index) => {
    const share = shares[index] ?? 0n;
    if (share === 0n) return;
    if (options.pending) {
      movements.push({ from: to, to: holding.account_id, amount_minor: share, layer: 'release' });
      parts.push({
        account_id: holding.account_id,
        amount_minor: share.toString(),
        covered_by: null,
        holding_index: index,
        pending: true,
      });
      return;
    }
    const room = spendable.get(holding.account_id);
    const own =
      options.cover_wallet_id === undefined || room === undefined ? share : minOf(share, maxOf(room, 0n));
    if (room !== undefined) spendable.set(holding.account_id, room - own);
    if (own > 0n) {
      movements.push({ from: holding.account_id, to, amount_minor: own, layer: 'posted' });
      parts.push({
        account_id: holding.account_id,
        amount_minor: own.toString(),
        covered_by: null,
        holding_index: index,
        pending: false,
      });
    }
    if (share > own && options.cover_wallet_id !== undefined) {
      movements.push({ from: options.cover_wallet_id, to, amount_minor: share - own, layer: 'posted' });
      parts.push({
        account_id: holding.account_id,
        amount_minor: (share - own).toString(),
        covered_by: options.cover_wallet_id,
        holding_index: index,
        pending: false,
      });
    }
  });
  return { movements, parts, shares };
}

/** What an account can still pay: down to its floor; system accounts have none. */
function spendableOf(account: AccountState): bigint | undefined {
  return account.floor_minor === null ? undefined : availableOf(account) - account.floor_minor;
}

/** A cover wallet must be a platform wallet (no holder) in the refund's asset. */
export async function checkCoverWallet(
  db: Client,
  livemode: boolean,
  id: string | undefined,
  asset: string,
): Promise<Result<string | undefined>> {
  if (id === undefined) return ok(undefined);
  const wallet = await findWallet(db, livemode, id);
  if (wallet === undefined) return fail(notFound('wallet', id, 'cover_wallet_id'));
  if (wallet.holder_id !== null)
    return fail(
      domainError(
        'invalid_request',
        'Only a platform wallet (without holder) can cover refunds.',
        'cover_wallet_id',
      ),
    );
  if (wallet.asset !== asset)
    return fail(
      domainError(
        'currency_mismatch',
        `Wallet ${id} holds ${wallet.asset}, not ${asset}.`,
        'cover_wallet_id',
      ),
    );
  return ok(wallet.id);
}

function minOf(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
