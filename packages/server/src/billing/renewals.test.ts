import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../db/pool.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, postOk } from '../test-support/money.js';
import { runPurse } from '../test-support/process.js';
import { renewDue } from './renewals.js';
import { customer, monthlyPrice } from './test-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const day_ms = 86_400_000;
const real_time = { test_clock_id: null };

/** Runs `work` over `items` with at most `lanes` at a time. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** How many subscription_cycle invoices each subscription of these holders has, and in which states. */
async function renewalsOf(holder_ids: readonly string[]) {
  const found = await t.db.pool.query<{ subscription_id: string; n: number; paid: number }>(
    `SELECT s.id AS subscription_id, count(i.id)::int AS n, count(i.id) FILTER (WHERE i.status = 'paid')::int AS paid
     FROM subscriptions s LEFT JOIN invoices i ON i.subscription_id = s.id AND i.billing_reason = 'subscription_cycle'
     WHERE s.holder_id = ANY($1::text[]) GROUP BY s.id`,
    [holder_ids],
  );
  return found.rows;
}

async function cycleInvoiceCount(holder_ids: readonly string[]): Promise<number> {
  const found = await t.db.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM invoices WHERE billing_reason = 'subscription_cycle' AND holder_id = ANY($1::text[])",
    [holder_ids],
  );
  return found.rows[0]?.n ?? -1;
}

/** Whether another session is in a transaction that has written to invoices (a batch in flight). */
async function writingInvoices(): Promise<boolean> {
  const found = await t.db.pool.query(
    `SELECT 1 FROM pg_locks WHERE relation = 'invoices'::regclass AND mode = 'RowExclusiveLock'
       AND pid <> pg_backend_pid()`,
  );
  return (found.rowCount ?? 0) > 0;
}

describe('the billing run', () => {
  it('two runs at once from two pools renew each of 300 due subscriptions exactly once', async () => {
    const price = await monthlyPrice(t, '1.00');
    const revenue = await postOk(t, '/v1/wallets', { currency: 'USD' });
    // 30 holders with 10 subscriptions each, of quantities 1 to 10: 55.00 a month per holder.
    const holders: { holder_id: string; wallet_id: string }[] = [];
    await inLanes(
      Array.from({ length: 30 }, (_, i) => i),
      4,
      async () => {
        const holder = await customer(t, '120.00');
        holders.push(holder);
        for (let quantity = 1; quantity <= 10; quantity += 1) {
          const sub = await postOk(t, '/v1/subscriptions', {
            ...holder,
            revenue_wallet_id: revenue.id,
            items: [{ price_id: price, quantity }],
          });
          expect(sub.status).toBe('active');
        }
      },
    );
    const holder_ids = holders.map((h) => h.holder_id);
    expect(await cycleInvoiceCount(holder_ids)).toBe(0);

    t.clock.advance(32 * day_ms);
    const now = t.clock.now();
    const pools: Pool[] = [createPool(t.db.url, 2), createPool(t.db.url, 2)];
    try {
      const loop = async (pool: Pool) => {
        const deps = { pool, limits: t.config.limits, rails: t.config.rails };
        let renewed = 0;
        for (let round = 0; round < 100; round += 1) {
          const n = await renewDue(deps, real_time, now, 20);
          if (n === 0) return renewed;
          renewed += n;
        }
        throw new Error('the billing run did not finish in 100 rounds');
      };
      const [a, b] = await Promise.all(pools.map(loop));
      expect((a ?? 0) + (b ?? 0)).toBe(300);
      // Both took part: the batches were claimed concurrently, not one run after the other.
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);

      // A second run at the same time renews nothing.
      expect(await Promise.all(pools.map(loop))).toEqual([0, 0]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }

    const renewals = await renewalsOf(holder_ids);
    expect(renewals.length).toBe(300);
    expect(renewals.filter((r) => r.n !== 1 || r.paid !== 1)).toEqual([]);
    for (const { wallet_id } of holders) expect((await balanceOf(t, wallet_id)).available).toBe('10.00');
    expect((await balanceOf(t, revenue.id)).available).toBe('3300.00');
    // Numbers stay gapless and unique under concurrent runs.
    const numbers = await t.db.pool.query<{ n: number; distinct_n: number; last: string }>(
      "SELECT count(*)::int AS n, count(DISTINCT number)::int AS distinct_n, max(number) AS last FROM invoices WHERE NOT livemode AND status <> 'draft'",
    );
    const row = numbers.rows[0];
    expect(row?.distinct_n).toBe(row?.n);
    expect(row?.last).toBe(`INV-TEST-${String(row?.n).padStart(6, '0')}`);
    const paid_events = await t.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events e JOIN invoices i ON i.id = e.object_id
       WHERE e.type = 'invoice.paid' AND i.billing_reason = 'subscription_cycle'`,
    );
    expect(paid_events.rows[0]?.n).toBe(300);
  }, 60_000);

  it('a worker killed (-9) mid-run leaves every due subscription renewed exactly once after a restart', async () => {
    const subscriptions_per_holder = 100;
    const holders_total = 15;
    const total = subscriptions_per_holder * holders_total;
    // Created 40 days ago in real time, so each is due now, to a worker on the system clock.
    t.clock.advance(Date.now() - t.clock.now().getTime() - 40 * day_ms);
    const price = await monthlyPrice(t, '1.00');
    const revenue = await postOk(t, '/v1/wallets', { currency: 'USD' });
    const holder_ids: string[] = [];
    const wallets: string[] = [];
    await inLanes(
      Array.from({ length: holders_total }, (_, i) => i),
      4,
      async () => {
        const { holder_id, wallet_id } = await customer(t, '150.00');
        const sub = await postOk(t, '/v1/subscriptions', {
          holder_id,
          wallet_id,
          revenue_wallet_id: revenue.id,
          items: [{ price_id: price }],
        });
        holder_ids.push(holder_id);
        wallets.push(wallet_id);
        // The rest of the holder's subscriptions are copies of this one, written by SQL: the API
        // would take too long for a run big enough to span several of the worker's batches.
        await t.db.pool.query(
          `WITH copies AS (
             INSERT INTO subscriptions (id, livemode, holder_id, status, asset, interval, interval_count, wallet_id,
               source, revenue_account_id, billing_cycle_anchor, current_period_start, current_period_end,
               retry_schedule_s, final_action, metadata, created_at, updated_at)
             SELECT s.id || '_' || g, s.livemode, s.holder_id, s.status, s.asset, s.interval, s.interval_count,
               s.wallet_id, s.source, s.revenue_account_id, s.billing_cycle_anchor, s.current_period_start,
               s.current_period_end, s.retry_schedule_s, s.final_action, s.metadata, s.created_at, s.updated_at
             FROM subscriptions s, generate_series(2, $2::int) g WHERE s.id = $1
             RETURNING id, created_at)
           INSERT INTO subscription_items (id, subscription_id, price_id, quantity, created_at)
           SELECT 'si_' || c.id, c.id, $3, 1, c.created_at FROM copies c`,
          [sub.id, subscriptions_per_holder, price],
        );
      },
    );
    const due = await t.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM subscriptions
       WHERE holder_id = ANY($1::text[]) AND status = 'active' AND current_period_end <= now()`,
      [holder_ids],
    );
    expect(due.rows[0]?.n).toBe(total);

    const env = { DATABASE_URL: t.db.url, LOG_LEVEL: 'warn', PURSE_WORKER_TICK_MS: '100' };
    const first = runPurse(['worker'], env);
    // Killed once a batch has committed and the next has written invoices it has not committed.
    for (let i = 0; i < 6_000 && first.child.exitCode === null; i += 1) {
      const renewed = await cycleInvoiceCount(holder_ids);
      if (renewed === total || (renewed > 0 && (await writingInvoices()))) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const at_kill = await cycleInvoiceCount(holder_ids);
    expect(at_kill, first.output()).toBeGreaterThan(0);
    expect(at_kill, 'killed mid-run, not after it').toBeLessThan(total);

    const second = runPurse(['worker'], env);
    let renewed = at_kill;
    for (let i = 0; i < 3_000 && renewed < total && second.child.exitCode === null; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      renewed = await cycleInvoiceCount(holder_ids);
    }
    expect(renewed, second.output()).toBe(total);
    // A few more rounds of the restarted worker renew nothing twice.
    await new Promise((resolve) => setTimeout(resolve, 500));
    second.child.kill('SIGTERM');
    expect(await second.exited, second.output()).toBe(0);
    const deps = { pool: t.db.pool, limits: t.config.limits, rails: t.config.rails };
    expect(await renewDue(deps, real_time, new Date(), 1_000)).toBe(0);

    const renewals = await renewalsOf(holder_ids);
    expect(renewals.length).toBe(total);
    expect(renewals.filter((r) => r.n !== 1 || r.paid !== 1)).toEqual([]);
    // 150.00 less the first invoice of the holder's original and one renewal of each of its 100.
    for (const wallet_id of wallets) expect((await balanceOf(t, wallet_id)).available).toBe('49.00');
    expect((await balanceOf(t, revenue.id)).available).toBe(`${holders_total * 101}.00`);
  }, 60_000);
});
