import type { AccountRow } from '../ledger/accounts.js';
import type { RailContext } from '../rails/index.js';
import { domainError, notFound } from '../shared/errors.js';
import { minorFromDb, parseAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import { lockQuote, quotedTerms, quoteRefusal, type Terms } from './conversions.js';
import { pairOf } from './quotes.js';

/**
 * What the request says it moves, which must be the quote's: a transfer names what its payer pays
 * (the quote's source side), a payout what its destination receives (the target side).
 */
export interface Stated {
  readonly side: 'source' | 'target';
  readonly amount: string;
  readonly currency: string;
}

/**
 * The terms of a transfer or payout that converts on its way, from its quote: locked, open, of the
 * payer's holder, from the payer's asset to `target_asset`, and for exactly the amount stated. A
 * quote is required (a rate that moved between screening and execution would change what the
 * spend checks counted), so the amounts are known before anything runs.
 */
export async function quoteOnTheWay(
  ctx: RailContext,
  quote_id: string,
  payer: AccountRow,
  target_asset: string,
  stated: Stated,
): Promise<Result<Terms>> {
  const quote = await lockQuote(ctx.db, ctx.livemode, quote_id);
  if (quote === undefined) return fail(notFound('fx quote', quote_id, 'quote_id'));
  const pair = await pairOf(ctx.db, ctx.livemode, payer.asset, target_asset, {
    source: 'currency',
    target: 'currency',
  });
  if (!pair.ok) return fail({ ...pair.error, code: 'currency_mismatch', param: 'quote_id' });
  const refusal = quoteRefusal(quote, pair.value, payer.holder_id, ctx.now);
  if (refusal !== undefined) return fail(refusal);
  const asset = stated.side === 'source' ? pair.value.source : pair.value.target;
  if (stated.currency !== asset)
    return fail(
      domainError(
        'currency_mismatch',
        `With quote ${quote.id}, currency is its ${stated.side} currency, ${asset}.`,
        'currency',
      ),
    );
  const scale = stated.side === 'source' ? pair.value.source_scale : pair.value.target_scale;
  const amount = parseAmount(stated.amount, scale, 'amount');
  if (!amount.ok) return amount;
  const quoted = minorFromDb(stated.side === 'source' ? quote.source_amount : quote.target_amount);
  if (amount.value !== quoted)
    return fail(
      domainError(
        'invalid_request',
        `With quote ${quote.id}, amount is its ${stated.side}_amount.`,
        'amount',
      ),
    );
  return ok(quotedTerms(quote, pair.value));
}
