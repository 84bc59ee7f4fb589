import { assetScale } from '../assets/service.js';
import { detokenizeInstrument } from '../crypto/tokens.js';
import type { Queryable } from '../db/pool.js';
import type { Movement } from '../guard/movement.js';
import { type PreparedScreen, prepareScreen, unattendedRequest } from '../guard/screen.js';
import type { EntryIntent } from '../ledger/entries.js';
import { writeEntries } from '../ledger/write.js';
import { createPayment } from '../payments/service.js';
import type { RailContext } from '../rails/index.js';
import type { PaymentSource } from '../rails/rail.js';
import { screenAndApply } from '../requests/screening.js';
import { lockRiskReads } from '../risk/locks.js';
import { enabledRules } from '../risk/rules.js';
import { RunningMovements } from '../risk/running.js';
import { assert } from '../shared/assert.js';
import { domainError } from '../shared/errors.js';
import { formatAmount, minorFromDb } from '../shared/money.js';
import { fail, ok, type Result } from '../shared/result.js';
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
  const modes = [...new Set(invoices.map((inv) => inv.livemode))];
  for (const livemode of modes)
    if ((await enabledRules(ctx.db, livemode)).length > 0) return collectScreened(ctx, invoices);
  return collectAll(ctx, invoices);
}

/** The fast path, with no risk rule enabled in the invoices' modes. */
async function collectAll(ctx: RailContext, invoices: readonly InvoiceRow[]): Promise<Attempt[]> {
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

/** Collects one invoice alone: a failure is a domain error, so a screen's savepoint rolls back with it. */
async function collectOne(ctx: RailContext, invoice: InvoiceRow): Promise<Result<Collected>> {
  const [attempt] = await collectAll(ctx, [invoice]);
  assert(attempt !== undefined, 'one attempt');
  const { collected } = attempt;
  return collected.kind === 'failed'
    ? fail(domainError('insufficient_funds', collected.failure_code))
    : ok(collected);
}

/**
 * With risk rules enabled, each charge is screened as the money movement it is, by the rules of
 * its mode, before it moves: no key asks for a renewal, so it is screened as the worker's payout
 * schedules and escrow dates are (unattended: a review blocks, as no one could approve it), and the
 * invoice stands in for the key. The rules' locks are all taken first, in one order, then each
 * charge is screened against what the batch already let through and collected in one savepoint
 * with its screen: a refusal leaves the invoice open with failure code `risk_blocked` (dunning
 * goes on), a ledger refusal rolls back the screen's bookkeeping.
 */
async function collectScreened(ctx: RailContext, invoices: readonly InvoiceRow[]): Promise<Attempt[]> {
  const { db } = ctx;
  const prepared = new Map<string, PreparedScreen<Collected>>();
  for (const invoice of invoices) {
    if (minorFromDb(invoice.total) <= 0n) continue;
    const rules = await enabledRules(db, invoice.livemode);
    const movements = await chargeMovements(db, invoice);
    prepared.set(
      invoice.id,
      await prepareScreen(
        db,
        unattendedRequest(
          { livemode: invoice.livemode, object_id: invoice.id, now: ctx.now },
          'billing.collect',
          { id: invoice.id },
          {},
        ),
        rules,
        movements,
        () => [invoice.id],
      ),
    );
  }
  await lockRiskReads(
    db,
    [...prepared.values()].flatMap((p) => p.lock_ids),
  );
  const running = new RunningMovements();
  const attempts: Attempt[] = [];
  for (const invoice of invoices) {
    const screen = prepared.get(invoice.id);
    const applied = await screenAndApply(
      db,
      'billing_charge',
      screen === undefined ? undefined : () => screen.screen(db, running),
      () => collectOne(ctx, invoice),
    );
    assert(applied.verdict !== 'park', 'an unattended charge is refused, never parked');
    const collected: Collected =
      applied.verdict === 'refuse'
        ? { kind: 'failed', failure_code: applied.error.code }
        : applied.result.ok
          ? applied.result.value
          : { kind: 'failed', failure_code: applied.result.error.detail };
    attempts.push({ invoice, collected });
  }
  return attempts;
}

/** A charge as the access checks see it: out of the holder's wallet, or in from a source. */
async function chargeMovements(db: Queryable, invoice: InvoiceRow): Promise<Result<Movement[]>> {
  const scale = await assetScale(db, invoice.livemode, invoice.asset, 'currency');
  if (!scale.ok) return scale;
  const revenue = invoice.revenue_account_id.startsWith('wal_') ? [invoice.revenue_account_id] : [];
  const from_source = invoice.wallet_id === null;
  return ok([
    {
      source_wallet_id: invoice.wallet_id ?? invoice.revenue_account_id,
      source_param: from_source ? 'source' : 'wallet_id',
      destination_wallet_ids: revenue,
      external: false,
      inflow: from_source,
      currency: invoice.asset,
      scale: scale.value,
      amount_minor: minorFromDb(invoice.total),
      counts: true,
    },
  ]);
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
  const payment = await createPayment(
    { ...ctx, livemode: invoice.livemode },
    {
      wallet_id: invoice.revenue_account_id,
      amount: formatAmount(total, scale.value),
      currency: invoice.asset,
      // Detokenized only here, to charge it; the payment keeps the token again.
      source: await detokenizeInstrument(ctx.db, invoice.livemode, invoice.source as PaymentSource),
      description: `Invoice ${invoice.number ?? invoice.id}`,
      metadata: { invoice_id: invoice.id },
    },
  );
  if (!payment.ok) return { kind: 'failed', failure_code: payment.error.code };
  const { status, id, failure_code } = payment.value;
  if (status === 'succeeded') return { kind: 'paid', ledger_transaction_id: null, payment_id: id };
  if (status === 'failed') return { kind: 'failed', failure_code: failure_code ?? 'payment_failed' };
  return { kind: 'pending', payment_id: id };
}
