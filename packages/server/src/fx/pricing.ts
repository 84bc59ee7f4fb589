import { domainError } from '../shared/errors.js';
import { amount_minor_max, formatAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import { type Decimal, lessSpread, sourceFor, targetFor } from './decimal.js';

/** One side of a conversion fixed by the asker; the other is computed from it. */
export type Fixed = { readonly side: 'source' | 'target'; readonly amount_minor: bigint };

export interface Priced {
  readonly source_minor: bigint;
  readonly target_minor: bigint;
  /** What the mid rate would have paid for source_minor, less target_minor: the platform's revenue. */
  readonly spread_minor: bigint;
  /** The customer's rate: the mid rate less the spread. */
  readonly rate: Decimal;
}

export interface PriceInput {
  readonly mid: Decimal;
  readonly spread_bps: number;
  readonly source_scale: number;
  readonly target_scale: number;
  readonly fixed: Fixed;
}

/**
 * Prices a conversion by the rule in docs/fx.md: the target is rounded down, a source found for
 * a fixed target rounded up, and the spread is the difference between the mid rate's target and
 * the customer's, so the FX position accounts never pay out more than they took in. Pure.
 */
export function price(input: PriceInput): Result<Priced> {
  const rate = lessSpread(input.mid, input.spread_bps);
  const to_target = (minor: bigint, at: Decimal) =>
    targetFor(minor, at, input.source_scale, input.target_scale);
  const source_minor =
    input.fixed.side === 'source'
      ? input.fixed.amount_minor
      : sourceFor(input.fixed.amount_minor, rate, input.source_scale, input.target_scale);
  const target_minor =
    input.fixed.side === 'target' ? input.fixed.amount_minor : to_target(source_minor, rate);
  const param = `${input.fixed.side}_amount`;
  if (target_minor === 0n)
    return fail(
      domainError(
        'amount_too_small',
        `At this rate ${param} buys less than the smallest unit of the target (${formatAmount(1n, input.target_scale)}).`,
        param,
      ),
    );
  if (source_minor > amount_minor_max || target_minor > amount_minor_max)
    return fail(domainError('invalid_amount', `${param} converts to more than the largest amount.`, param));
  const spread_minor = to_target(source_minor, input.mid) - target_minor;
  // At a large spread on the largest amount, the spread alone could be more than one movement moves.
  if (spread_minor > amount_minor_max)
    return fail(domainError('invalid_amount', `${param} converts to more than the largest amount.`, param));
  return ok({ source_minor, target_minor, spread_minor, rate });
}
