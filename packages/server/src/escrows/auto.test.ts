import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../db/pool.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import {
  escrowAction,
  escrowEntries,
  escrowOf,
  expectEscrowBooksBalance,
  parties,
} from '../test-support/escrows.js';
import { balanceOf, usd } from '../test-support/money.js';
import { type PurseProcess, runPurse } from '../test-support/process.js';
import { auto_retry_s, settleDueEscrows } from './auto.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await expectEscrowBooksBalance(t);
  await t.close();
});

const hour_ms = 3_600_000;

function settle(now = t.clock.now(), limit = 100, pool: Pool = t.db.pool): Promise<number> {
  return settleDueEscrows(pool, now, limit);
}

function inHours(hours: number): string {
  return new Date(t.clock.now().getTime() + hours * hour_ms).toISOString();
}

async function statusOf(id: string): Promise<string> {
  return (await t.request({ method: 'GET', url: `/v1/escrows/${id}` })).json().status;
}

async function heldCount(ids: readonly string[]): Promise<number> {
  const result = await t.db.pool.query("SELECT 1 FROM escrows WHERE id = ANY($1) AND status = 'held'", [ids]);
  return result.rowCount ?? 0;
}

describe('automatic release and refund', () => {
  it('releases or refunds what remains at the date, not before, and only once', async () => {
    const wallets = await parties(t);
    const to_payee = await escrowOf(t, wallets, '30.00', {
      milestones: [{ amount: '10.00' }, { amount: '20.00' }],
      auto_release_at: inHours(1),
    });
    const to_payer = await escrowOf(t, wallets, '50.00', { auto_refund_at: inHours(2) });
    const manual = await escrowOf(t, wallets, '20.00');
    await escrowAction(t, to_payee.id, 'release', { milestone_id: 'ms_1' });
    await escrowAction(t, to_payer.id, 'release', { amount: '5.00' });

    expect(await settle(new Date(t.clock.now().getTime() + hour_ms - 1))).toBe(0);
    t.clock.advance(hour_ms);
    expect(await settle()).toBe(1);
    const released = (await t.request({ method: 'GET', url: `/v1/escrows/${to_payee.id}` })).json();
    expect(released).toMatchObject({
      status: 'released',
      released_amount: '30.00',
      milestones: [{ status: 'released' }, { status: 'released' }],
      updated_at: t.clock.now().toISOString(),
    });
    expect(await statusOf(to_payer.id)).toBe('held');

    t.clock.advance(hour_ms);
    expect(await settle()).toBe(1);
    const refunded = (await t.request({ method: 'GET', url: `/v1/escrows/${to_payer.id}` })).json();
    expect(refunded).toMatchObject({ status: 'canceled', released_amount: '5.00', refunded_amount: '45.00' });
    expect(await settle(new Date(t.clock.now().getTime() + 1000 * hour_ms))).toBe(0);
    expect(await statusOf(manual.id)).toBe('held');
    expect(await escrowEntries(t, to_payee.id)).toEqual([
      'escrow.funded',
      'escrow.released',
      'escrow.auto_released',
    ]);
    expect(await escrowEntries(t, to_payer.id)).toEqual([
      'escrow.funded',
      'escrow.released',
      'escrow.auto_refunded',
    ]);
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('45.00'));
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('35.00'));
  });

  it('skips a disputed escrow at its date, and acts once the dispute resumes it', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '40.00', { auto_release_at: inHours(1) });
    await escrowAction(t, escrow.id, 'dispute', { reason: 'Not delivered' });
    t.clock.advance(2 * hour_ms);
    expect(await settle()).toBe(0);
    expect(await statusOf(escrow.id)).toBe('disputed');
    await escrowAction(t, escrow.id, 'resolve', { outcome: 'resume' });
    expect(await settle()).toBe(1);
    expect(await statusOf(escrow.id)).toBe('released');
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('40.00'));
  });

  it('leaves an escrow held when the ledger refuses, and tries again an hour later', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '10.00', { auto_release_at: inHours(1) });
    await t.request({ method: 'POST', url: `/v1/wallets/${wallets.payee}/freeze` });
    t.clock.advance(hour_ms);
    expect(await settle()).toBe(0);
    expect(await statusOf(escrow.id)).toBe('held');
    await t.request({ method: 'POST', url: `/v1/wallets/${wallets.payee}/unfreeze` });
    expect(await settle(new Date(t.clock.now().getTime() + auto_retry_s * 1000 - 1))).toBe(0);
    t.clock.advance(auto_retry_s * 1000);
    expect(await settle()).toBe(1);
    expect(await statusOf(escrow.id)).toBe('released');
    expect(await escrowEntries(t, escrow.id)).toEqual(['escrow.funded', 'escrow.auto_released']);
  });

  it('two workers racing over one database (no task lock) settle each escrow exactly once', async () => {
    const wallets = await parties(t, '60.00');
    const ids: string[] = [];
    for (let i = 0; i < 60; i++)
      ids.push((await escrowOf(t, wallets, '1.00', { auto_release_at: inHours(1) })).id);
    t.clock.advance(hour_ms);
    const pools = [createPool(t.db.url, 2), createPool(t.db.url, 2)];
    try {
      // Each worker settles 7 at a time until it finds nothing due: they claim rows side by side.
      const drain = async (pool: Pool) => {
        let total = 0;
        for (let handled = -1; handled !== 0; total += handled)
          handled = await settle(t.clock.now(), 7, pool);
        return total;
      };
      const [first, second] = await Promise.all(pools.map(drain));
      expect((first ?? 0) + (second ?? 0)).toBe(60);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    expect(await heldCount(ids)).toBe(0);
    for (const id of ids)
      expect(await escrowEntries(t, id)).toEqual(['escrow.funded', 'escrow.auto_released']);
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('60.00'));
  });
});

describe('two `purse worker` processes over one database', () => {
  const workers: PurseProcess[] = [];
  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
  });

  it('settle every due escrow exactly once, and one carries on when the other is killed', async () => {
    const wallets = await parties(t, '40.00');
    // The workers run on the real clock: the app's clock is put two hours back, so that dates
    // an hour ago by the real clock are still in the future when the escrows are created.
    const real_now_ms = Date.now();
    t.clock.advance(real_now_ms - 2 * hour_ms - t.clock.now().getTime());
    const dueEscrows = async (count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const due = new Date(real_now_ms - hour_ms + i * 1000).toISOString();
        ids.push(
          (await escrowOf(t, wallets, '1.00', { [i % 2 === 0 ? 'auto_release_at' : 'auto_refund_at']: due }))
            .id,
        );
      }
      return ids;
    };
    const settled = async (ids: string[]) => {
      const deadline = Date.now() + 60_000;
      while ((await heldCount(ids)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await heldCount(ids), workers.map((worker) => worker.output()).join('\n')).toBe(0);
    };
    const env = { DATABASE_URL: t.db.url, PURSE_WORKER_TICK_MS: '20' };
    workers.push(runPurse(['worker'], env), runPurse(['worker'], env));
    const first = await dueEscrows(20);
    await settled(first);
    const [killed] = workers;
    killed?.child.kill('SIGKILL');
    await killed?.exited;
    const second = await dueEscrows(20);
    await settled(second);
    for (const [i, id] of [...first, ...second].entries())
      expect(await escrowEntries(t, id)).toEqual([
        'escrow.funded',
        i % 2 === 0 ? 'escrow.auto_released' : 'escrow.auto_refunded',
      ]);
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('20.00'));
    expect(await balanceOf(t, wallets.payer)).toEqual(usd('20.00'));
  }, 120_000);
});
