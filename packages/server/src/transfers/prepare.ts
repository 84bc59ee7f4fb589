import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import { walletTime } from '../clocks/scope.js';
import { systemAccountId } from '../ledger/accounts.js';
import type { WriteContext } from '../ledger/context.js';
import type { AccountState, EntryIntent, Movement } from '../ledger/entries.js';
import {
  currencyMismatch,
  type LegAsk,
  type LegScope,
  resolveAskedLegs,
  resolveFee,
  type StoredLeg,
} from '../ledger/legs.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { CreateTransferBody } from './schemas.js';
import type { TransferRow } from './view.js';

export type TransferInput = Static<typeof CreateTransferBody>;

export interface PreparedTransfer {
  readonly row: TransferRow;
  readonly entry: EntryIntent;
  readonly scale: number;
}

const hold_expiry_s_default = 7 * 86_400;
export const hold_expiry_s_max = 30 * 86_400;

/**
 * Checks a transfer request and resolves it into the row to store and the ledger entry to write:
 * the fee goes to its account, the rest is split across the destinations by the rounding rule of
 * `resolveLegs`. `wallets` comes from the batch's locked accounts (`accountsNamed`); the ledger
 * write checks status and funds against the same rows.
 */
export async function prepareTransfer(
  ctx: WriteContext,
  input: TransferInput,
  wallets: ReadonlyMap<string, string>,
): Promise<Result<PreparedTransfer>> {
  const { db, livemode, limits, now } = ctx;
  const scale = await assetScale(db, livemode, input.currency, 'currency');
  if (!scale.ok) return scale;
  const amount = parseAmount(input.amount, scale.value, 'amount');
  if (!amount.ok) return amount;
  const metadata = checkMetadata(input.metadata ?? {}, limits);
  if (!metadata.ok) return metadata;
  const source = wallets.get(input.source_wallet_id);
  if (source === undefined) return fail(notFound('wallet', input.source_wallet_id, 'source_wallet_id'));
  if (source !== input.currency)
    return fail(currencyMismatch('source_wallet_id', input.source_wallet_id, source, input.currency));
  const scope: LegScope = {
    currency: input.currency,
    scale: scale.value,
    wallets,
    payer_wallet_id: input.source_wallet_id,
    prefix: 'destinations',
  };
  const fee = await resolveFee(livemode, input.fee, amount.value, scope);
  if (!fee.ok) return fee;
  const legs = resolveDestinations(input, amount.value - fee.value.amount_minor, scope);
  if (!legs.ok) return legs;
  // A hold of a wallet whose holder lives in a test clock expires in the clock's time.
  const hold_now = input.hold === true ? await walletTime(db, livemode, input.source_wallet_id, now) : now;
  const expires_at = holdExpiry(input, hold_now);
  if (!expires_at.ok) return expires_at;
  const id = newId('transfer', now.getTime());
  const layer = input.hold === true ? 'pending' : 'posted';
  const movements: Movement[] = [];
  if (fee.value.account_id !== null)
    movements.push({
      from: input.source_wallet_id,
      to: fee.value.account_id,
      amount_minor: fee.value.amount_minor,
      layer,
    });
  for (const leg of legs.value) {
    const amount_minor = BigInt(leg.amount_minor);
    if (amount_minor > 0n)
      movements.push({ from: input.source_wallet_id, to: leg.wallet_id, amount_minor, layer });
  }
  const row: TransferRow = {
    id,
    livemode,
    status: input.hold === true ? 'pending' : 'posted',
    source_wallet_id: input.source_wallet_id,
    asset: input.currency,
    amount: amount.value.toString(),
    captured_amount: null,
    fee_amount: fee.value.amount_minor.toString(),
    fee_account_id: fee.value.account_id,
    destinations: legs.value,
    description: input.description ?? null,
    metadata: metadata.value,
    hold: input.hold === true,
    expires_at: expires_at.value,
    created_at: now,
    updated_at: now,
  };
  const entry = {
    livemode,
    reason: input.hold === true ? 'transfer.held' : 'transfer.posted',
    reference_id: id,
    movements,
    own_entry: true,
  };
  return ok({ row, entry, scale: scale.value });
}

/**
 * Every account a batch of transfers may move: the wallets the requests name, and the system fee
 * account of a currency when a fee goes to no wallet. Locked up front in one statement, so the
 * same rows answer "does this wallet exist, in what currency" and carry the balances the ledger
 * write checks against (one round trip instead of a lookup and a lock).
 */
export function accountsNamed(livemode: boolean, inputs: readonly TransferInput[]): string[] {
  const ids = inputs.flatMap((input) => [
    input.source_wallet_id,
    input.destination_wallet_id,
    input.fee === undefined
      ? undefined
      : (input.fee.wallet_id ?? systemAccountId(livemode, input.currency, 'fees')),
    ...(input.destinations ?? []).map((leg) => leg.wallet_id),
  ]);
  return [...new Set(ids.filter((id) => id !== undefined))];
}

/** id → asset of the locked accounts that are this mode's wallets. */
export function walletAssets(
  accounts: ReadonlyMap<string, AccountState>,
  livemode: boolean,
): Map<string, string> {
  const wallets = new Map<string, string>();
  for (const account of accounts.values()) {
    if (account.kind === 'wallet' && account.livemode === livemode) wallets.set(account.id, account.asset);
  }
  return wallets;
}

function resolveDestinations(input: TransferInput, net_minor: bigint, scope: LegScope): Result<StoredLeg[]> {
  if ((input.destination_wallet_id === undefined) === (input.destinations === undefined)) {
    return fail(
      domainError(
        'invalid_request',
        'Give either destination_wallet_id or destinations.',
        'destination_wallet_id',
      ),
    );
  }
  const asked: readonly LegAsk[] = input.destinations ?? [
    { wallet_id: input.destination_wallet_id ?? '', remainder: true, param: 'destination_wallet_id' },
  ];
  return resolveAskedLegs(asked, net_minor, scope);
}

function holdExpiry(input: TransferInput, now: Date): Result<Date | null> {
  if (input.hold !== true) {
    if (input.expires_at !== undefined)
      return fail(domainError('invalid_request', 'expires_at applies only to holds.', 'expires_at'));
    return ok(null);
  }
  const expires_at =
    input.expires_at === undefined
      ? new Date(now.getTime() + hold_expiry_s_default * 1000)
      : new Date(input.expires_at);
  const ahead_s = (expires_at.getTime() - now.getTime()) / 1000;
  if (ahead_s <= 0 || ahead_s > hold_expiry_s_max) {
    return fail(
      domainError(
        'invalid_request',
        `expires_at must be in the future and at most ${hold_expiry_s_max / 86_400} days away.`,
        'expires_at',
      ),
    );
  }
  return ok(expires_at);
}
