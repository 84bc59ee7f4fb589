import { assetScale } from '../assets/service.js';
import { eventOf, recordEvents } from '../events/index.js';
import { findWallet } from '../ledger/accounts.js';
import { writeEntries } from '../ledger/write.js';
import type { RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { type DomainError, domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { formatAmount } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { TransferInput } from '../transfers/prepare.js';
import { type TransferRow, type TransferView, transferView } from '../transfers/view.js';
import { conversionEntry, recordConversion, type Terms } from './conversions.js';
import { quoteOnTheWay } from './on-the-way.js';

/**
 * A transfer that converts on its way: the payer pays the quote's source amount in its currency,
 * the payee's wallet receives the target amount in its own, in one entry through the FX position
 * accounts. It is a transfer (listed with the payer's and payee's) and names its conversion. Not
 * through the group-commit engine: its quote row is locked, and it is rare next to transfers.
 */
export async function createConvertedTransfer(
  ctx: RailContext,
  input: TransferInput,
): Promise<Result<TransferView>> {
  const shape = shapeRefusal(input);
  if (shape !== undefined) return fail(shape);
  const payer = await findWallet(ctx.db, ctx.livemode, input.source_wallet_id);
  if (payer === undefined) return fail(notFound('wallet', input.source_wallet_id, 'source_wallet_id'));
  const payee_id = input.destination_wallet_id ?? '';
  const payee = await findWallet(ctx.db, ctx.livemode, payee_id);
  if (payee === undefined) return fail(notFound('wallet', payee_id, 'destination_wallet_id'));
  if (payee.id === payer.id)
    return fail(domainError('same_wallet', 'The payer cannot also receive.', 'destination_wallet_id'));
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const stated = { side: 'source' as const, amount: input.amount, currency: input.currency };
  const terms = await quoteOnTheWay(ctx, input.quote_id ?? '', payer, payee.asset, stated);
  if (!terms.ok) return terms;
  const conversion_id = newId('conversion', ctx.now.getTime());
  const accounts = { source: payer.id, target: payee.id };
  const [outcome] = await writeEntries(
    ctx.db,
    [conversionEntry(ctx.livemode, conversion_id, accounts, terms.value)],
    ctx.now,
  );
  assert(outcome !== undefined, 'one entry, one outcome');
  if (!outcome.ok) {
    const param = outcome.error.subject === payee.id ? 'destination_wallet_id' : 'source_wallet_id';
    return fail({ ...outcome.error, param });
  }
  const made = {
    id: conversion_id,
    kind: 'transfer' as const,
    holder_id: payer.holder_id,
    source_wallet_id: payer.id,
    target_wallet_id: payee.id,
    description: input.description ?? null,
    metadata: {},
  };
  await recordConversion(ctx, made, terms.value, outcome.value.transaction_id);
  const row = await insertTransfer(ctx, input, terms.value, conversion_id, metadata.value);
  const view = transferView(row, terms.value.pair.source_scale);
  await recordEvents(ctx.db, [eventOf('transfer.posted', view)], ctx.now);
  return ok(view);
}

function shapeRefusal(input: TransferInput): DomainError | undefined {
  if (input.destination_wallet_id === undefined)
    return domainError(
      'invalid_request',
      'A transfer that converts has one destination_wallet_id.',
      'destination_wallet_id',
    );
  const extra = (['destinations', 'fee', 'hold', 'expires_at'] as const).find(
    (field) => input[field] !== undefined,
  );
  if (extra !== undefined)
    return domainError(
      'invalid_request',
      `A transfer that converts takes no ${extra}: one destination, posted at once.`,
      extra,
    );
  return undefined;
}

async function insertTransfer(
  ctx: RailContext,
  input: TransferInput,
  terms: Terms,
  conversion_id: string,
  metadata: Record<string, string>,
): Promise<TransferRow> {
  const target_scale = await assetScale(ctx.db, ctx.livemode, terms.pair.target, 'currency');
  assert(target_scale.ok, 'the payee holds a known asset');
  const leg = {
    wallet_id: input.destination_wallet_id ?? '',
    amount_minor: terms.target_minor.toString(),
    request: { amount: formatAmount(terms.target_minor, target_scale.value) },
    currency: terms.pair.target,
  };
  const result = await ctx.db.query<TransferRow>(
    `INSERT INTO transfers (id, livemode, status, source_wallet_id, asset, amount, destinations, description, metadata,
       hold, conversion_id, created_at, updated_at)
     VALUES ($1, $2, 'posted', $3, $4, $5, $6, $7, $8, false, $9, $10, $10) RETURNING *`,
    [
      newId('transfer', ctx.now.getTime()),
      ctx.livemode,
      input.source_wallet_id,
      terms.pair.source,
      terms.source_minor.toString(),
      JSON.stringify([leg]),
      input.description ?? null,
      metadata,
      conversion_id,
      ctx.now,
    ],
  );
  const row = result.rows[0];
  assert(row !== undefined, 'INSERT ... RETURNING gives the transfer');
  return row;
}
