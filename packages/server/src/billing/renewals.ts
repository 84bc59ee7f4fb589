import type { ClockScope } from '../clocks/scope.js';
import type { Limits } from '../config.js';
import { type Client, inTransaction, type Pool } from '../db/pool.js';
import { recordEvents } from '../events/index.js';
import type { RailContext, RailsConfig } from '../rails/index.js';
import { transientProblem } from '../requests/transaction.js';
import { type Attempt, collect } from './collect.js';
import { carryOut, outcomeEvents, ScaleCache, settle, subscriptionEvents } from './cycle.js';
import { type InvoiceRow, invoiceView } from './invoice-views.js';
import { type Plan, planRenewal } from './plans.js';
import { loadBillables, pendingLines, unbilledUsage } from './state.js';
import type { SubscriptionRow } from './subscription-views.js';
import { saveInvoices, saveSubscriptions } from './writes.js';

export interface BillingDeps {
  readonly pool: Pool;
  readonly limits: Limits;
  readonly rails: RailsConfig;
}

/** The SQL condition that `column` (a test clock id) is in the scope, given as parameter `$param`. */
function clockCondition(scope: ClockScope, param: number, column = 'test_clock_id'): string {
  return scope.test_clock_id === null ? `${column} IS NULL` : `${column} = $${param}`;
}

/**
 * The worker's context for a batch: every object keeps its own mode (a batch may hold both), which
 * the charges take from their invoices; `livemode` here is only a default nothing reads.
 */
function workerContext(deps: BillingDeps, db: Client, now: Date): RailContext {
  return { db, pool: deps.pool, livemode: false, limits: deps.limits, now, rails: deps.rails };
}

const due_statuses = "status IN ('trialing', 'active', 'past_due')";

/**
 * Renews up to `limit` subscriptions whose period ended by `now`, in one transaction: each row is
 * claimed FOR UPDATE SKIP LOCKED, so two workers take disjoint batches, and its period moves on in
 * the same transaction that writes its invoice and ledger entry, so a renewal is never written
 * twice; a crash rolls the whole batch back and the next run takes it again. A subscription several
 * periods behind is renewed once per run until it catches up. Returns how many it renewed.
 */
export async function renewDue(
  deps: BillingDeps,
  scope: ClockScope,
  now: Date,
  limit: number,
): Promise<number> {
  return inTransaction(deps.pool, async (db) => {
    const due = await db.query<SubscriptionRow>(
      `SELECT * FROM subscriptions WHERE ${due_statuses} AND ${clockCondition(scope, 3)} AND current_period_end <= $1
       ORDER BY current_period_end LIMIT $2 FOR UPDATE SKIP LOCKED`,
      scope.test_clock_id === null ? [now, limit] : [now, limit, scope.test_clock_id],
    );
    if (due.rows.length === 0) return 0;
    const billables = await loadBillables(db, due.rows);
    const cutoffs = new Map(
      billables.flatMap((b) =>
        b.items
          .filter(({ price }) => price.usage_type === 'metered')
          .map(({ item }) => [item.id, b.subscription.current_period_end] as const),
      ),
    );
    const usage = await unbilledUsage(db, cutoffs);
    const pending = await pendingLines(
      db,
      due.rows.map((s) => s.id),
    );
    const plans: Plan[] = [];
    const broken: SubscriptionRow[] = [];
    for (const b of billables) {
      const item_ids = b.items.map(({ item }) => item.id);
      const usage_of = {
        quantities: usage.quantities,
        record_ids: item_ids.flatMap((id) => usage.records.get(id) ?? []),
      };
      try {
        plans.push(planRenewal(b, usage_of, pending.get(b.subscription.id) ?? { ids: [], lines: [] }, now));
      } catch {
        // Planning is pure: it throws only on a limit the checks missed; set aside below.
        broken.push(b.subscription);
      }
    }
    const ctx = workerContext(deps, db, now);
    broken.push(...(await carryOutIsolated(ctx, plans)));
    await setAside(db, broken, now);
    return billables.length;
  });
}

/**
 * Writes the batch's plans together; if that fails for a reason that is not another transaction's
 * lock, writes them one by one, each in its own savepoint, so that one subscription that cannot be
 * renewed (a limit the requests' checks missed, a bug) does not stop the thousand beside it.
 * Returns the subscriptions it could not renew.
 */
async function carryOutIsolated(ctx: RailContext, plans: readonly Plan[]): Promise<SubscriptionRow[]> {
  const attempt = async (batch: readonly Plan[], savepoint: string): Promise<boolean> => {
    await ctx.db.query(`SAVEPOINT ${savepoint}`);
    try {
      await carryOut(ctx, batch);
      return true;
    } catch (error) {
      if (transientProblem(error) !== undefined) throw error;
      await ctx.db.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
      return false;
    }
  };
  if (plans.length === 0 || (await attempt(plans, 'renewals'))) return [];
  const broken: SubscriptionRow[] = [];
  for (const plan of plans) if (!(await attempt([plan], 'renewal'))) broken.push(plan.billable.subscription);
  return broken;
}

/**
 * A subscription the run could not renew is set `unpaid`: it renews nothing more until someone looks
 * (its customer.subscription.updated event says so), rather than failing again at every tick.
 */
async function setAside(db: Client, subscriptions: readonly SubscriptionRow[], now: Date): Promise<void> {
  if (subscriptions.length === 0) return;
  const unpaid = subscriptions.map((sub) => ({ ...sub, status: 'unpaid' as const, updated_at: now }));
  await saveSubscriptions(db, unpaid);
  const billables = await loadBillables(db, unpaid);
  await recordEvents(
    db,
    billables.flatMap((b) => subscriptionEvents(undefined, b.subscription, b.items)),
    now,
  );
}

/**
 * Tries again open invoices whose retry is due, and those collected from a wallet that now holds
 * enough (a top-up retries at once rather than at the next scheduled attempt). Only a charge that
 * last failed for want of funds is retried early: one refused for another reason (a frozen revenue
 * wallet, a risk rule) would fail again at once, and again, with the balance unchanged.
 */
export async function retryDue(
  deps: BillingDeps,
  scope: ClockScope,
  now: Date,
  limit: number,
): Promise<number> {
  return inTransaction(deps.pool, async (db) => {
    const due = await db.query<InvoiceRow>(
      `SELECT i.* FROM invoices i
       WHERE i.status = 'open' AND i.collection_method = 'charge_automatically'
         -- A canceled subscription's open invoices can still be paid, but are no longer collected.
         AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = i.subscription_id AND s.status = 'canceled') AND ${clockCondition(scope, 3, 'i.test_clock_id')}
         AND (i.next_payment_attempt <= $1 OR (i.wallet_id IS NOT NULL AND i.payment_id IS NULL AND i.total > 0
           AND i.last_failure_code = 'insufficient_funds' AND EXISTS (
           SELECT 1 FROM accounts a WHERE a.id = i.wallet_id AND a.status = 'active'
             AND a.posted_credits - a.posted_debits - a.pending_debits - coalesce(a.floor_minor, 0) >= i.total)))
       ORDER BY i.id LIMIT $2 FOR UPDATE OF i SKIP LOCKED`,
      scope.test_clock_id === null ? [now, limit] : [now, limit, scope.test_clock_id],
    );
    if (due.rows.length === 0) return 0;
    const ctx = workerContext(deps, db, now);
    return applyAttempts(ctx, await collect(ctx, due.rows));
  });
}

/**
 * Settles invoices whose charge was a payment still in progress (a bank debit) once that payment
 * has succeeded or failed: paid, or failed and into dunning as any failed charge.
 */
export async function resolvePendingCharges(
  deps: BillingDeps,
  scope: ClockScope,
  now: Date,
  limit: number,
): Promise<number> {
  return inTransaction(deps.pool, async (db) => {
    const due = await db.query<InvoiceRow & { payment_status: string; payment_failure_code: string | null }>(
      `SELECT i.*, p.status AS payment_status, p.failure_code AS payment_failure_code
       FROM invoices i JOIN payments p ON p.id = i.payment_id
       WHERE i.status = 'open' AND p.status IN ('succeeded', 'failed')
         AND ${clockCondition(scope, 2, 'i.test_clock_id')}
       ORDER BY i.id LIMIT $1 FOR UPDATE OF i SKIP LOCKED`,
      scope.test_clock_id === null ? [limit] : [limit, scope.test_clock_id],
    );
    if (due.rows.length === 0) return 0;
    const ctx = workerContext(deps, db, now);
    const attempts: Attempt[] = due.rows.map(({ payment_status, payment_failure_code, ...invoice }) => ({
      // The attempt was counted when the payment started.
      invoice: { ...invoice, attempt_count: invoice.attempt_count - 1 },
      collected:
        payment_status === 'succeeded'
          ? { kind: 'paid', ledger_transaction_id: null, payment_id: invoice.payment_id }
          : { kind: 'failed', failure_code: payment_failure_code ?? 'payment_failed' },
    }));
    return applyAttempts(ctx, attempts);
  });
}

/** Writes what attempts came to: invoices, the subscriptions whose status moved, and the events. */
async function applyAttempts(ctx: RailContext, attempts: readonly Attempt[]): Promise<number> {
  const { db, now } = ctx;
  const sub_ids = [
    ...new Set(
      attempts.flatMap(({ invoice }) => (invoice.subscription_id === null ? [] : [invoice.subscription_id])),
    ),
  ];
  const subs = await db.query<SubscriptionRow>(
    'SELECT * FROM subscriptions WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
    [sub_ids],
  );
  const before = new Map(subs.rows.map((s) => [s.id, s]));
  const after = new Map(before);
  const settled = settle(attempts, after, now);
  await saveInvoices(db, [...settled.values()]);
  const changed = [...after.values()].filter((s) => s.status !== before.get(s.id)?.status);
  await saveSubscriptions(db, changed);
  const billables = new Map((await loadBillables(db, changed)).map((b) => [b.subscription.id, b.items]));
  const scales = new ScaleCache(db);
  const events = [];
  for (const invoice of settled.values())
    events.push(
      ...outcomeEvents(invoice, invoiceView(invoice, await scales.of(invoice.livemode, invoice.asset))),
    );
  for (const sub of changed)
    events.push(...subscriptionEvents(before.get(sub.id), sub, billables.get(sub.id) ?? []));
  await recordEvents(db, events, now);
  return settled.size;
}
