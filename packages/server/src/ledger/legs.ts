import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import { systemAccountId } from './accounts.js';
import { type LegRequest, parsePercent, resolveLegs } from './splits.js';

/** A destination as asked for: one of amount, percent (of the net) or remainder. */
export interface LegAsk {
  readonly wallet_id: string;
  readonly amount?: string | undefined;
  readonly percent?: string | undefined;
  readonly remainder?: true | undefined;
  /** The request field naming this wallet, when it is not `<prefix>.<index>.wallet_id`. */
  readonly param?: string;
}

/** A destination as stored: the resolved amount (minor units, text) and what was asked for. */
export interface StoredLeg {
  wallet_id: string;
  amount_minor: string;
  request: { amount?: string; percent?: string; remainder?: true };
  /** Set on a leg paid in another currency than its transfer's (a conversion on the way). */
  currency?: string;
}

/** What every leg is checked against: the asset, the wallet that pays (never a leg), and names. */
export interface LegScope {
  readonly currency: string;
  readonly scale: number;
  /** id → asset of every wallet the request names (one query for a whole request or batch). */
  readonly wallets: ReadonlyMap<string, string>;
  /** The paying wallet, which may not also receive; none for money from outside. */
  readonly payer_wallet_id: string | undefined;
  /** The request field holding the legs: `destinations`, `splits`. */
  readonly prefix: string;
}

export function currencyMismatch(param: string, id: string, held: string, asked: string): DomainError {
  return domainError('currency_mismatch', `Wallet ${id} holds ${held}, not ${asked}.`, param);
}

/** Resolves asked legs to exact amounts of `net_minor` by the one rounding rule of `resolveLegs`. */
export function resolveAskedLegs(
  asked: readonly LegAsk[],
  net_minor: bigint,
  scope: LegScope,
): Result<StoredLeg[]> {
  const requests: LegRequest[] = [];
  for (const [index, leg] of asked.entries()) {
    const param = leg.param ?? `${scope.prefix}.${index}.wallet_id`;
    const asset = scope.wallets.get(leg.wallet_id);
    if (asset === undefined) return fail(notFound('wallet', leg.wallet_id, param));
    if (asset !== scope.currency) return fail(currencyMismatch(param, leg.wallet_id, asset, scope.currency));
    if (leg.wallet_id === scope.payer_wallet_id)
      return fail(domainError('same_wallet', 'Money cannot go back to the wallet it comes from.', param));
    const request = legRequest(leg, `${scope.prefix}.${index}`, scope.scale);
    if (!request.ok) return request;
    requests.push(request.value);
  }
  const amounts = resolveLegs(net_minor, requests);
  if (!amounts.ok) return fail({ ...amounts.error, param: scope.prefix });
  return ok(
    asked.map((leg, index) => ({
      wallet_id: leg.wallet_id,
      amount_minor: (amounts.value[index] ?? 0n).toString(),
      request:
        leg.amount !== undefined
          ? { amount: leg.amount }
          : leg.percent !== undefined
            ? { percent: leg.percent }
            : { remainder: true },
    })),
  );
}

function legRequest(leg: LegAsk, param: string, scale: number): Result<LegRequest> {
  const given = [leg.amount, leg.percent, leg.remainder].filter((value) => value !== undefined).length;
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

/**
 * A platform fee: its amount (below the whole amount) and the account it goes to, a wallet the
 * request names or else the platform's fees system account.
 */
export async function resolveFee(
  livemode: boolean,
  fee: { readonly amount: string; readonly wallet_id?: string | undefined } | undefined,
  amount_minor: bigint,
  scope: LegScope,
): Promise<Result<{ amount_minor: bigint; account_id: string | null }>> {
  if (fee === undefined) return ok({ amount_minor: 0n, account_id: null });
  const parsed = parseAmount(fee.amount, scope.scale, 'fee.amount');
  if (!parsed.ok) return parsed;
  if (parsed.value >= amount_minor)
    return fail(domainError('invalid_amount', 'The fee must be less than the amount.', 'fee.amount'));
  if (fee.wallet_id === undefined)
    return ok({
      amount_minor: parsed.value,
      account_id: systemAccountId(livemode, scope.currency, 'fees'),
    });
  const asset = scope.wallets.get(fee.wallet_id);
  if (asset === undefined) return fail(notFound('wallet', fee.wallet_id, 'fee.wallet_id'));
  if (asset !== scope.currency)
    return fail(currencyMismatch('fee.wallet_id', fee.wallet_id, asset, scope.currency));
  if (fee.wallet_id === scope.payer_wallet_id)
    return fail(domainError('same_wallet', 'The fee cannot go to the source wallet.', 'fee.wallet_id'));
  return ok({ amount_minor: parsed.value, account_id: fee.wallet_id });
}
