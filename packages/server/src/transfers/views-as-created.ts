import { viewsWithScale } from '../assets/scaled-views.js';
import type { Queryable } from '../db/pool.js';
import { assert } from '../shared/assert.js';
import { type TransferRow, type TransferView, transferView } from './view.js';

/**
 * The views of transfers `ids` of mode `livemode` as they were when created, by id: what the
 * `transfer.posted` event of each showed, for events that refer to their transfer instead of
 * copying it (migration 0046). Each was posted at once, and such a transfer never changes but for
 * its refunded amounts, which its view does not show (a trigger keeps it so).
 */
export async function transferViewsAsCreated(
  db: Queryable,
  livemode: boolean,
  ids: readonly string[],
): Promise<Map<string, TransferView>> {
  const rows = await db.query<TransferRow>('SELECT * FROM transfers WHERE livemode = $1 AND id = ANY($2)', [
    livemode,
    ids,
  ]);
  const views = await viewsWithScale(db, livemode, rows.rows, (row, scale) => {
    assert(!row.hold, `transfer ${row.id}, referred to by its event, was posted at once`);
    return transferView(row, scale);
  });
  return new Map(views.map((view) => [view.id, view]));
}
