import type { Static } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { domainError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { fail, ok, type Result } from '../shared/result.js';
import { parseTimestamp } from '../shared/time.js';
import { lineTooLarge } from './amounts.js';
import { type PriceRow, termsOf } from './catalog-views.js';
import { amountCeiling } from './math/pricing.js';
import type { CreateUsageRecordBody } from './subscription-schemas.js';
import { holderTime } from './test-clocks.js';

interface UsageRow {
  id: string;
  livemode: boolean;
  subscription_item_id: string;
  quantity: string;
  action: 'increment' | 'set';
  timestamp: Date;
  identifier: string | null;
  invoice_id: string | null;
  created_at: Date;
}

function usageView(row: UsageRow) {
  return {
    id: row.id,
    object: 'usage_record' as const,
    livemode: row.livemode,
    subscription_item_id: row.subscription_item_id,
    quantity: Number(row.quantity),
    action: row.action,
    timestamp: row.timestamp.toISOString(),
    identifier: row.identifier,
    invoice_id: row.invoice_id,
    created_at: row.created_at.toISOString(),
  };
}

type Input = Static<typeof CreateUsageRecordBody>;

/**
 * Records usage of a metered item. The caller's `identifier` makes it idempotent without an
 * Idempotency-Key: the same identifier again answers the first record (200 rather than 201) and
 * counts nothing twice; with different values it is 409 usage_identifier_reused.
 */
export async function recordUsage(
  db: Queryable,
  livemode: boolean,
  input: Input,
  now: Date,
): Promise<Result<{ record: ReturnType<typeof usageView>; created: boolean }>> {
  const item = await itemOf(db, livemode, input);
  if (!item.ok) return item;
  const { id: item_id, usage_type, holder_id, status } = item.value;
  if (usage_type !== 'metered')
    return fail(
      domainError(
        'price_not_metered',
        `Item ${item_id} has a licensed price; usage applies to metered prices.`,
        'subscription_item_id',
      ),
    );
  if (status === 'canceled')
    return fail(
      domainError(
        'subscription_canceled',
        'The subscription is canceled; it takes no more usage.',
        'subscription_item_id',
      ),
    );
  const time = await holderTime(db, holder_id, now);
  if (!time.ok) return time;
  const timestamp = input.timestamp === undefined ? time.value.now : parseTimestamp(input.timestamp);
  if (timestamp === undefined)
    return fail(domainError('invalid_request', 'timestamp is not a timestamp.', 'timestamp'));
  const action = input.action ?? 'increment';
  const unbilled = await db.query<{ total: string }>(
    'SELECT coalesce(sum(quantity), 0)::text AS total FROM usage_records WHERE subscription_item_id = $1 AND invoice_id IS NULL',
    [item_id],
  );
  const total = BigInt(unbilled.rows[0]?.total ?? '0') + BigInt(input.quantity);
  const too_large = lineTooLarge(amountCeiling(termsOf(item.value.price), total), 'quantity');
  if (too_large !== undefined) return fail(too_large);
  const inserted = await db.query<UsageRow>(
    `INSERT INTO usage_records (id, livemode, subscription_item_id, quantity, action, timestamp, identifier, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (livemode, identifier) DO NOTHING RETURNING *`,
    [
      newId('usage_record', now.getTime()),
      livemode,
      item_id,
      input.quantity,
      action,
      timestamp,
      input.identifier ?? null,
      time.value.now,
    ],
  );
  const row = inserted.rows[0];
  if (row !== undefined) return ok({ record: usageView(row), created: true });
  const existing = await db.query<UsageRow>(
    'SELECT * FROM usage_records WHERE livemode = $1 AND identifier = $2',
    [livemode, input.identifier],
  );
  const first = existing.rows[0];
  assert(first !== undefined, 'a conflict means the identifier exists');
  const same =
    first.subscription_item_id === item_id &&
    Number(first.quantity) === input.quantity &&
    first.action === action &&
    (input.timestamp === undefined || first.timestamp.getTime() === timestamp.getTime());
  if (!same)
    return fail(
      domainError(
        'usage_identifier_reused',
        `identifier "${input.identifier}" already recorded other usage.`,
        'identifier',
      ),
    );
  return ok({ record: usageView(first), created: false });
}

/** Whether a usage record with this identifier exists already in this mode. */
export async function usageIdentifierTaken(
  db: Queryable,
  livemode: boolean,
  identifier: string | undefined,
): Promise<boolean> {
  if (identifier === undefined) return false;
  const found = await db.query('SELECT 1 FROM usage_records WHERE livemode = $1 AND identifier = $2', [
    livemode,
    identifier,
  ]);
  return found.rowCount !== 0;
}

interface ItemOfUsage {
  id: string;
  usage_type: string;
  holder_id: string;
  status: string;
  price: PriceRow;
}

async function itemOf(db: Queryable, livemode: boolean, input: Input): Promise<Result<ItemOfUsage>> {
  const by_item = input.subscription_item_id !== undefined;
  if (by_item === (input.subscription_id !== undefined) || (!by_item && input.price_id === undefined))
    return fail(
      domainError(
        'invalid_request',
        'Give subscription_item_id, or subscription_id with price_id.',
        'subscription_item_id',
      ),
    );
  // Locked: records of one item are checked against its unbilled total one at a time.
  const found = await db.query<ItemOfUsage>(
    `SELECT si.id, p.usage_type, s.holder_id, s.status, to_jsonb(p) || jsonb_build_object('unit_amount', p.unit_amount::text) AS price
     FROM subscription_items si JOIN subscriptions s ON s.id = si.subscription_id JOIN prices p ON p.id = si.price_id
     WHERE s.livemode = $1 AND ${by_item ? 'si.id = $2' : 'si.subscription_id = $2 AND si.price_id = $3'}
     ORDER BY si.deleted_at NULLS FIRST LIMIT 1 FOR UPDATE OF si`,
    by_item ? [livemode, input.subscription_item_id] : [livemode, input.subscription_id, input.price_id],
  );
  const row = found.rows[0];
  if (row === undefined)
    return fail(
      notFound(
        'subscription item',
        input.subscription_item_id ?? `${input.subscription_id}/${input.price_id}`,
        by_item ? 'subscription_item_id' : 'price_id',
      ),
    );
  return ok(row);
}
