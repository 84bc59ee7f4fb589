import type { Static } from '@sinclair/typebox';
import { assetScale } from '../assets/service.js';
import type { Pool, Queryable } from '../db/pool.js';
import { systemAccountId } from '../ledger/accounts.js';
import type { WriteContext } from '../ledger/context.js';
import type { EntryIntent, Movement } from '../ledger/entries.js';
import { type LegRequest, parsePercent, resolveLegs } from '../ledger/splits.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { CreateTransferBody } from './schemas.js';
import type { StoredLeg, TransferRow } from './view.js';

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
 * `resolveLegs`. Reads wallets without locking them: the ledger write locks and re-checks status
 * and funds.
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
    return fail(mismatch('source_wallet_id', input.source_wallet_id, source, input.currency));
  const fee = await resolveFee(ctx.pool, livemode, input, scale.value, amount.value, wallets);
  if (!fee.ok) return fee;
  const legs = resolveDestinations(input, amount.value - fee.value.amount_minor, scale.value, wallets);
  if (!legs.ok) return legs;
  const expires_at = holdExpiry(input, now);
  if (!expires_at.ok) return expires_at;
  const id = newId('transfer', now.getTime());
  const layer = input.hold === true ? 'pending' : 'posted';
  const movements: Movement[] = [];
  if (fee.value.amount_minor > 0n)
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
    fee_account_id: fee.value.amount_minor > 0n ? fee.value.account_id : null,
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
  };
  return ok({ row, entry, scale: scale.value });
}

/** Every wallet the requests name, id → asset, in one query for a whole batch. */
export async function walletAssets(
  db: Queryable,
  livemode: boolean,
  inputs: readonly TransferInput[],
): Promise<Map<string, string>> {
  const ids = inputs.flatMap((input) => [
    input.source_wallet_id,
    input.destination_wallet_id,
    input.fee?.wallet_id,
    ...(input.destinations ?? []).map((leg) => leg.wallet_id),
  ]);
  const result = await db.query<{ id: string; asset: string }>(
    "SELECT id, asset FROM accounts WHERE id = ANY($1::text[]) AND livemode = $2 AND kind = 'wallet'",
    [[...new Set(ids.filter((id) => id !== undefined))], livemode],
  );
  return new Map(result.rows.map((row) => [row.id, row.asset]));
}

function mismatch(param: string, id: string, held: string, asked: string): DomainError {
  return domainError('currency_mismatch', `Wallet ${id} holds ${held}, not ${asked}.`, param);
}

async function resolveFee(
  pool: Pool,
  livemode: boolean,
  input: TransferInput,
  scale: number,
  amount_minor: bigint,
  wallets: ReadonlyMap<string, string>,
): Promise<Result<{ amount_minor: bigint; account_id: string }>> {
  if (input.fee === undefined) return ok({ amount_minor: 0n, account_id: '' });
  const fee = parseAmount(input.fee.amount, scale, 'fee.amount');
  if (!fee.ok) return fee;
  if (fee.value >= amount_minor)
    return fail(domainError('invalid_amount', 'The fee must be less than the amount.', 'fee.amount'));
  const wallet_id = input.fee.wallet_id;
  if (wallet_id === undefined)
    return ok({
      amount_minor: fee.value,
      account_id: await systemAccountId(pool, livemode, input.currency, 'fees'),
    });
  const asset = wallets.get(wallet_id);
  if (asset === undefined) return fail(notFound('wallet', wallet_id, 'fee.wallet_id'));
  if (asset !== input.currency) return fail(mismatch('fee.wallet_id', wallet_id, asset, input.currency));
  if (wallet_id === input.source_wallet_id)
    return fail(domainError('same_wallet', 'The fee cannot go to the source wallet.', 'fee.wallet_id'));
  return ok({ amount_minor: fee.value, account_id: wallet_id });
}

function resolveDestinations(
  input: TransferInput,
  net_minor: bigint,
  scale: number,
  wallets: ReadonlyMap<string, string>,
): Result<StoredLeg[]> {
  if ((input.destination_wallet_id === undefined) === (input.destinations === undefined)) {
    return fail(
      domainError(
        'invalid_request',
        'Give either destination_wallet_id or destinations.',
        'destination_wallet_id',
      ),
    );
  }
  const asked = input.destinations ?? [
    { wallet_id: input.destination_wallet_id ?? '', remainder: true as const },
  ];
  const requests: LegRequest[] = [];
  for (const [index, leg] of asked.entries()) {
    const param =
      input.destinations === undefined ? 'destination_wallet_id' : `destinations.${index}.wallet_id`;
    const asset = wallets.get(leg.wallet_id);
    if (asset === undefined) return fail(notFound('wallet', leg.wallet_id, param));
    if (asset !== input.currency) return fail(mismatch(param, leg.wallet_id, asset, input.currency));
    if (leg.wallet_id === input.source_wallet_id)
      return fail(domainError('same_wallet', 'A transfer cannot pay its source wallet.', param));
    const request = legRequest(leg, index, scale);
    if (!request.ok) return request;
    requests.push(request.value);
  }
  const amounts = resolveLegs(net_minor, requests);
  if (!amounts.ok) return amounts;
  return ok(
    asked.map((leg, index) => ({
      wallet_id: leg.wallet_id,
      amount_minor: (amounts.value[index] ?? 0n).toString(),
      request:
        'amount' in leg && leg.amount !== undefined
          ? { amount: leg.amount }
          : 'percent' in leg && leg.percent !== undefined
            ? { percent: leg.percent }
            : { remainder: true },
    })),
  );
}

function legRequest(
  leg: NonNullable<TransferInput['destinations']>[number],
  index: number,
  scale: number,
): Result<LegRequest> {
  const given = [leg.amount, leg.percent, leg.remainder].filter((value) => value !== undefined).length;
  const param = `destinations.${index}`;
  if (given !== 1)
    return fail(
      domainError(
        'invalid_split',
        'Each destination takes exactly one of amount, percent or remainder.',
        param,
      ),
    );
  if (leg.amount !== undefined) {
    const amount = parseAmount(leg.amount, scale, `${param}.amount`);
    return amount.ok ? ok({ kind: 'amount', amount_minor: amount.value }) : amount;
  }
  if (leg.percent !== undefined) {
    const millionths = parsePercent(leg.percent);
    if (millionths === undefined)
      return fail(
        domainError('invalid_split', 'percent must be above 0 and at most 100.', `${param}.percent`),
      );
    return ok({ kind: 'percent', millionths });
  }
  return ok({ kind: 'remainder' });
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
