/**
 * What the overview counts, as SQL over a set of events `picked` (columns livemode, type,
 * object_id, created_at): one fact per event that moved money or ended a payment or payout, with
 * its UTC day, metric, asset and amount in minor units. The amount is read from the object's own
 * row by id (event payloads are sealed); the columns read are never changed once the event is
 * written (a transfer's amount, a capture's captured_amount, a payment's or payout's amount).
 *
 * The fold (rollups.ts) and the un-folded tail (overview.ts) share this text, so the two can never
 * count differently.
 */
export type OverviewMetric =
  | 'transfer_volume'
  | 'payment_succeeded'
  | 'payment_failed'
  | 'payout_paid'
  | 'payout_failed';

export function overviewFacts(picked: string): string {
  const day = "(p.created_at AT TIME ZONE 'UTC')::date";
  return `
    SELECT p.livemode, ${day} AS day, 'transfer_volume' AS metric, o.asset,
      CASE WHEN p.type = 'transfer.captured' THEN o.captured_amount ELSE o.amount END AS amount
    FROM ${picked} p JOIN transfers o ON o.livemode = p.livemode AND o.id = p.object_id
    WHERE p.type IN ('transfer.posted', 'transfer.captured')
    UNION ALL
    SELECT p.livemode, ${day}, CASE p.type WHEN 'payment.succeeded' THEN 'payment_succeeded' ELSE 'payment_failed' END,
      o.asset, o.amount
    FROM ${picked} p JOIN payments o ON o.id = p.object_id
    WHERE p.type IN ('payment.succeeded', 'payment.failed')
    UNION ALL
    SELECT p.livemode, ${day}, CASE p.type WHEN 'payout.paid' THEN 'payout_paid' ELSE 'payout_failed' END,
      o.asset, o.amount
    FROM ${picked} p JOIN payouts o ON o.id = p.object_id
    WHERE p.type IN ('payout.paid', 'payout.failed', 'payout.returned')`;
}
