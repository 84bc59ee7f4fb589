import { assetScale } from '../assets/service.js';
import type { EntryIntent } from '../ledger/entries.js';
import { writeEntries } from '../ledger/write.js';
import { createPayment } from '../payments/service.js';
import type { RailContext } from '../rails/index.js';
import type { PaymentSource } from '../rails/rail.js';
import { assert } from '../shared/assert.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import type { InvoiceRow } from './invoice-views.js';

/** What one attempt to collect an invoice came to. */
export type Collected =
  | {
      readonly kind: 'paid';
      readonly ledger_transaction_id: string | null;
      readonly payment_id: string | null;
    }
  | { readonly kind: 'pending'; readonly payment_id: string }
  | { readonly kind: 'failed'; readonly failure_code: string };

export interface Attempt {
  readonly invoice: InvoiceRow;
  readonly collected: Collected;
}

/**
 * Collects open invoices. From a wallet, every invoice is one ledger entry, all written by one
 * `writeEntries` call (one lock of the accounts in id order, one statement per table), each applied
 * against the running balances so one holder's shortfall fails only their invoice. A negative total
 * (a credit for unused time) is paid back the other way. From a source, each is a payment into the
 * revenue wallet through the rail. A zero total is paid with no money moving.
 */
export async function collect(ctx: RailContext, invoices: readonly InvoiceRow[]): Promise<Attempt[]> {
  const from_wallet = invoices.filter((inv) => inv.wallet_id !== null && minorFromDb(inv.total) !== 0n);
  const entries: EntryIntent[] = from_wallet.map((inv) => walletEntry(inv));
  const outcomes = await writeEntries(ctx.db, entries, ctx.now, undefined, ctx.later);
  const by_invoice = new Map<string, Collected>();
  from_wallet.forEach((inv, i) => {
    const outcome = outcomes[i];
    assert(outcome !== undefined, 'an outcome per entry');
    by_invoice.set(
      inv.id,
      outcome.ok
        ? { kind: 'paid', ledger_transaction_id: outcome.value.transaction_id, payment_id: null }
        : { kind: 'failed', failure_code: outcome.error.code },
    );
  });
  const attempts: Attempt[] = [];
  for (const invoice of invoices) {
    const known = by_invoice.get(invoice.id);
    if (known !== undefined) attempts.push({ invoice, collected: known });
    else if (minorFromDb(invoice.total) === 0n)
      attempts.push({ invoice, collected: { kind: 'paid', ledger_transaction_id: null, payment_id: null } });
    else attempts.push({ invoice, collected: await chargeSource(ctx, invoice) });
  }
  return attempts;
}

function walletEntry(inv: InvoiceRow): EntryIntent {
  const total = minorFromDb(inv.total);
  const wallet = inv.wallet_id;
  assert(wallet !== null, 'collected from a wallet');
  const [from, to] = total > 0n ? [wallet, inv.revenue_account_id] : [inv.revenue_account_id, wallet];
  return {
    livemode: inv.livemode,
    reason: total > 0n ? 'invoice.paid' : 'invoice.credited',
    reference_id: inv.id,
    movements: [{ from, to, amount_minor: total > 0n ? total : -total, layer: 'posted' }],
  };
}

/**
 * A payment from the invoice's source into the revenue wallet. A card answers at once; a bank
 * debit is `pending` until its payment settles or fails (the billing run looks again).
 */
async function chargeSource(ctx: RailContext, invoice: InvoiceRow): Promise<Collected> {
  const total = minorFromDb(invoice.total);
  if (total < 0n || invoice.source === null) return { kind: 'failed', failure_code: 'no_payment_method' };
  const scale = await assetScale(ctx.db, invoice.livemode, invoice.asset, 'currency');
  if (!scale.ok) return { kind: 'failed', failure_code: scale.error.code };
  const payment = await createPayment(ctx, {
    wallet_id: invoice.revenue_account_id,
    amount: formatAmount(total, scale.value),
    currency: invoice.asset,
    source: invoice.source as PaymentSource,
    description: `Invoice ${invoice.number ?? invoice.id}`,
    metadata: { invoice_id: invoice.id },
  });
  if (!payment.ok) return { kind: 'failed', failure_code: payment.error.code };
  const { status, id, failure_code } = payment.value;
  if (status === 'succeeded') return { kind: 'paid', ledger_transaction_id: null, payment_id: id };
  if (status === 'failed') return { kind: 'failed', failure_code: failure_code ?? 'payment_failed' };
  return { kind: 'pending', payment_id: id };
}
