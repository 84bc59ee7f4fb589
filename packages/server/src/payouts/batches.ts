import type { Static } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import { rowById } from '../db/rows.js';
import { eventOf, recordEvents } from '../events/index.js';
import type { RailContext } from '../rails/index.js';
import { assert } from '../shared/assert.js';
import { type DomainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { checkMetadata } from '../shared/metadata.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { CreatePayoutBatchBody, PayoutBatch } from './schemas.js';
import { createPayout, payoutsOfBatch } from './service.js';

type PayoutBatchView = Static<typeof PayoutBatch>;
type ItemResult = { index: number; payout_id: string } | { index: number; error: DomainError };

interface BatchRow {
  id: string;
  livemode: boolean;
  results: ItemResult[];
  metadata: Record<string, string>;
  created_at: Date;
}

/**
 * Creates up to 1,000 payouts in one request and one transaction, each behind its own savepoint:
 * an item that is refused (insufficient funds, a bad destination) is rolled back alone and
 * reported with its error, while the others are created. Retrying the request with its
 * Idempotency-Key replays the same results.
 */
export async function createPayoutBatch(
  ctx: RailContext,
  input: Static<typeof CreatePayoutBatchBody>,
): Promise<Result<PayoutBatchView>> {
  const metadata = checkMetadata(input.metadata ?? {}, ctx.limits);
  if (!metadata.ok) return metadata;
  const id = newId('payout_batch', ctx.now.getTime());
  await ctx.db.query(
    'INSERT INTO payout_batches (id, livemode, results, metadata, created_at) VALUES ($1, $2, $3, $4, $5)',
    [id, ctx.livemode, '[]', metadata.value, ctx.now],
  );
  const results: ItemResult[] = [];
  for (const [index, item] of input.payouts.entries()) {
    await ctx.db.query('SAVEPOINT payout_item');
    const created = await createPayout(ctx, item, { batch_id: id });
    if (created.ok) {
      results.push({ index, payout_id: created.value.id });
      continue;
    }
    await ctx.db.query('ROLLBACK TO SAVEPOINT payout_item');
    results.push({
      index,
      error: { ...created.error, param: `payouts.${index}.${created.error.param ?? ''}`.replace(/\.$/, '') },
    });
  }
  await ctx.db.query('UPDATE payout_batches SET results = $2 WHERE id = $1', [id, JSON.stringify(results)]);
  const batch = await getPayoutBatch(ctx.db, ctx.livemode, id);
  if (batch.ok) await recordEvents(ctx.db, [eventOf('payout_batch.created', batch.value)], ctx.now);
  return batch;
}

export async function getPayoutBatch(
  db: Queryable,
  livemode: boolean,
  id: string,
): Promise<Result<PayoutBatchView>> {
  const row = await rowById<BatchRow>(db, 'payout_batches', livemode, id);
  if (row === undefined) return fail(notFound('payout batch', id));
  const payouts = await payoutsOfBatch(db, livemode, id);
  const items = row.results.map((result) => {
    if ('error' in result)
      return {
        index: result.index,
        status: 'failed' as const,
        payout: null,
        error: { code: result.error.code, detail: result.error.detail, param: result.error.param ?? null },
      };
    const payout = payouts.get(result.payout_id);
    assert(payout !== undefined, 'a batch item payout exists');
    return { index: result.index, status: 'created' as const, payout, error: null };
  });
  const created_count = items.filter((item) => item.status === 'created').length;
  return ok({
    id: row.id,
    object: 'payout_batch',
    livemode: row.livemode,
    items,
    created_count,
    failed_count: items.length - created_count,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
  });
}
