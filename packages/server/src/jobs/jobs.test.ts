import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../db/pool.js';
import { verifyLedger } from '../ledger/verify.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, funded, newWallet, postOk, usd } from '../test-support/money.js';
import { job_handlers } from './handlers.js';
import { enqueueJobs, type JobHandler, runDueJobs } from './queue.js';

let t: TestApp;
let second: Pool;
beforeAll(async () => {
  t = await createTestApp();
  second = createPool(t.db.url, 10);
});
afterAll(async () => {
  expect(await verifyLedger(t.db.pool)).toEqual([]);
  await second.end();
  await t.close();
});

/** Two workers, each with its own pool, draining due jobs at the same time until none are left. */
async function twoWorkers(now: Date): Promise<number[]> {
  const drain = async (pool: Pool) => {
    let total = 0;
    for (let ran = -1; ran !== 0; total += ran) ran = await runDueJobs(pool, job_handlers, now, 7);
    return total;
  };
  return Promise.all([drain(t.db.pool), drain(second)]);
}

async function entriesFor(reason: string, ids: readonly string[]): Promise<Map<string, number>> {
  const result = await t.db.pool.query<{ reference_id: string; n: number }>(
    'SELECT reference_id, count(*)::int AS n FROM ledger_transactions WHERE reason = $1 AND reference_id = ANY($2) GROUP BY reference_id',
    [reason, ids],
  );
  return new Map(result.rows.map((row) => [row.reference_id, row.n]));
}

describe('jobs', () => {
  it('two workers at once run every rail step once: each payment credited once, each return restores once', async () => {
    const wallet = await newWallet(t);
    const source = await funded(t, '1000.00');
    const payments: string[] = [];
    const payouts: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const bank = { type: 'bank_account', account_number: '000123456789', routing_number: '110000000' };
      payments.push(
        (
          await postOk(t, '/v1/payments', {
            wallet_id: wallet,
            amount: '1.00',
            currency: 'USD',
            source: bank,
          })
        ).id,
      );
      const destination = { ...bank, account_number: '000333333335', account_holder_name: 'R' };
      payouts.push(
        (await postOk(t, '/v1/payouts', { wallet_id: source, amount: '10.00', currency: 'USD', destination }))
          .id,
      );
    }
    const step_ms = t.config.rails.sandbox_step_ms;
    const now = t.clock.now().getTime();
    const [first = 0, other = 0] = await twoWorkers(new Date(now + 3 * step_ms));
    // 20 payment steps, and for each payout its accepted, paid and returned steps, shared by both workers.
    expect(first + other).toBe(80);
    expect(first).toBeGreaterThan(0);
    expect(other).toBeGreaterThan(0);
    expect([...(await entriesFor('payment.succeeded', payments)).values()]).toEqual(Array(20).fill(1));
    expect([...(await entriesFor('payout.returned', payouts)).values()]).toEqual(Array(20).fill(1));
    expect(await balanceOf(t, wallet)).toEqual(usd('20.00'));
    expect(await balanceOf(t, source)).toEqual(usd('1000.00'));
    expect(await twoWorkers(new Date(now + 10 * step_ms))).toEqual([0, 0]);
  });

  it('a job that fails is rolled back alone and retried later; a step scheduled twice runs once', async () => {
    const now = t.clock.now();
    const handlers = new Map<string, JobHandler>([
      ['test.fails', () => Promise.reject(new Error('rail timeout'))],
      [
        'test.works',
        async (db) => {
          await db.query(
            "INSERT INTO jobs (kind, dedupe_key, run_at, created_at, done_at) VALUES ('test.mark', 'mark', now(), now(), now())",
          );
        },
      ],
    ]);
    const job = (kind: string, key: string) => ({ kind, dedupe_key: key, payload: {}, run_at: now });
    await enqueueJobs(
      t.db.pool,
      [job('test.fails', 'f1'), job('test.works', 'w1'), job('test.works', 'w1')],
      now,
    );
    expect(await runDueJobs(t.db.pool, handlers, now, 10)).toBe(1);
    const rows = await t.db.pool.query(
      "SELECT dedupe_key, attempts, last_error, done_at IS NOT NULL AS done, run_at FROM jobs WHERE dedupe_key IN ('f1', 'w1', 'mark') ORDER BY dedupe_key",
    );
    expect(rows.rows.map((r) => [r.dedupe_key, r.attempts, r.last_error, r.done])).toEqual([
      ['f1', 1, 'rail timeout', false],
      ['mark', 0, null, true],
      ['w1', 1, null, true],
    ]);
    expect(new Date(rows.rows[0].run_at).getTime()).toBe(now.getTime() + 1000);
    expect(await runDueJobs(t.db.pool, handlers, now, 10)).toBe(0);
  });
});
