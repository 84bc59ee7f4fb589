import type { Queryable } from '../db/pool.js';
import type { LineRow } from './invoice-views.js';
import { type LineDraft, loadDraft, type StoredDraft } from './lines.js';
import { prorate } from './math/proration.js';
import type { SubscriptionRow } from './subscription-views.js';

/** A licensed charge as it was billed (or waits to be): what it cost, after discount, over when. */
interface Charged {
  readonly line: Pick<
    LineDraft,
    'description' | 'price_id' | 'subscription_item_id' | 'quantity' | 'unit_amount_minor'
  >;
  readonly net_minor: bigint;
  /**
   * Paid lines had their discount and taxes (they are in `net_minor`), so their credits get neither
   * again; a waiting line's credit is discounted and taxed as the line itself will be.
   */
  readonly discountable: boolean;
  readonly taxable: boolean;
  readonly start: Date;
  readonly end: Date;
}

/**
 * The credit for the time left from `at` to the period's end: what the subscription was actually
 * charged for that time, never what its items would cost now. Each licensed line of its paid
 * invoices, and of the prorations waiting for its next invoice when they will be billed, gives back
 * its net amount (after its discount) prorated over the part of its own period still to come: a
 * first period shortened by an anchor credits what it cost, an upgrade left unbilled or a free
 * coupon credits nothing, and earlier credits count against later ones. A paid line gives back
 * what was paid for it, its taxes included, and is neither discounted nor taxed again (the rates
 * may have changed since); a waiting line is discounted and taxed when billed, as its charge is.
 */
export async function unusedTime(
  db: Queryable,
  subscription: SubscriptionRow,
  at: Date,
  with_pending: boolean,
): Promise<LineDraft[]> {
  const end = subscription.current_period_end;
  if (at >= end) return [];
  const charged = [
    ...(await paidCharges(db, subscription.id, at)),
    ...(with_pending ? await pendingCharges(db, subscription.id) : []),
  ];
  // One credit per item, quantity and kind, however many lines paid for it: lines credited at each
  // change would otherwise be credited again at the next, doubling an invoice's lines each time.
  const credits = new Map<string, LineDraft>();
  for (const { line, net_minor, discountable, taxable, start, end: line_end } of charged) {
    const until = line_end < end ? line_end : end;
    const from = start > at ? start : at;
    const span_ms = BigInt(line_end.getTime() - start.getTime());
    const left_ms = BigInt(until.getTime() - from.getTime());
    if (span_ms <= 0n || left_ms <= 0n) continue;
    const credit = prorate(net_minor, left_ms, span_ms);
    if (credit === 0n) continue;
    const key = `${discountable}:${taxable}:${line.subscription_item_id}:${line.price_id}:${line.quantity}`;
    const same = credits.get(key);
    if (same !== undefined) {
      credits.set(key, { ...same, amount_minor: same.amount_minor - credit });
      continue;
    }
    credits.set(key, {
      ...line,
      type: 'proration',
      description: `Unused time on ${line.description}`,
      amount_minor: -credit,
      proration: true,
      discountable,
      taxable,
      period_start: at,
      period_end: end,
    });
  }
  return [...credits.values()].filter((line) => line.amount_minor !== 0n);
}

const licensed_types = new Set(['subscription', 'proration']);

async function paidCharges(db: Queryable, subscription_id: string, at: Date): Promise<Charged[]> {
  const paid = await db.query<{ lines: LineRow[] }>(
    "SELECT lines FROM invoices WHERE subscription_id = $1 AND status = 'paid' AND period_end > $2",
    [subscription_id, at],
  );
  return paid.rows.flatMap(({ lines }) =>
    lines
      .filter((line) => licensed_types.has(line.type))
      .map((line) => ({
        line: {
          description: line.description.replace(/^(Unused|Remaining) time on /, ''),
          price_id: line.price_id,
          subscription_item_id: line.subscription_item_id,
          quantity: BigInt(line.quantity),
          unit_amount_minor: line.unit_amount_minor === null ? null : BigInt(line.unit_amount_minor),
        },
        // What was paid for it: after its discount, with the taxes added on top (inclusive ones are in it).
        net_minor:
          BigInt(line.amount_minor) -
          BigInt(line.discount_minor) +
          line.taxes.filter((tax) => !tax.inclusive).reduce((sum, tax) => sum + BigInt(tax.amount_minor), 0n),
        discountable: false,
        taxable: false,
        start: new Date(line.period_start),
        end: new Date(line.period_end),
      })),
  );
}

async function pendingCharges(db: Queryable, subscription_id: string): Promise<Charged[]> {
  const pending = await db.query<{ line: StoredDraft }>(
    'SELECT line FROM invoice_items WHERE subscription_id = $1 AND invoice_id IS NULL',
    [subscription_id],
  );
  return pending.rows
    .map(({ line }) => loadDraft(line))
    .filter((line) => licensed_types.has(line.type))
    .map((line) => ({
      line: { ...line, description: line.description.replace(/^(Unused|Remaining) time on /, '') },
      net_minor: line.amount_minor,
      discountable: line.discountable ?? true,
      taxable: line.taxable ?? true,
      start: line.period_start,
      end: line.period_end,
    }));
}

/**
 * What the holder paid, net, on the subscription's invoices for periods that reach past `since`:
 * no credit may give back more than that, whatever the lines say (a discount that fell on a charge
 * and not on its credit, a rounding), so credits never create money.
 */
export async function paidSince(db: Queryable, subscription_id: string, since: Date): Promise<bigint> {
  const paid = await db.query<{ total: string }>(
    "SELECT coalesce(sum(total), 0)::text AS total FROM invoices WHERE subscription_id = $1 AND status = 'paid' AND period_end > $2",
    [subscription_id, since],
  );
  return BigInt(paid.rows[0]?.total ?? '0');
}
