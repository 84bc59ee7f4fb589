import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../db/pool.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { fund, newWallet } from '../test-support/money.js';
import { expireHolds } from '../transfers/service.js';
import { verifyLedger } from './verify.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const cents = fc.integer({ min: 1, max: 3_000 }).map((n) => (n / 100).toFixed(2));
const wallet = fc.integer({ min: 0, max: 4 });
const operation = fc.oneof(
  fc.record({ op: fc.constant('fund' as const), to: wallet, amount: cents }),
  fc.record({
    op: fc.constant('transfer' as const),
    from: wallet,
    to: wallet,
    amount: cents,
    fee: fc.boolean(),
    hold: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('split' as const),
    from: wallet,
    amount: cents,
    percent: fc.integer({ min: 1, max: 99 }),
  }),
  fc.record({
    op: fc.constant('capture' as const),
    which: fc.nat(),
    fraction: fc.integer({ min: 1, max: 100 }),
  }),
  fc.record({ op: fc.constant('void' as const), which: fc.nat() }),
  fc.record({ op: fc.constant('expire' as const) }),
);

type Step = typeof operation extends fc.Arbitrary<infer S> ? S : never;

async function run(wallets: string[], holds: string[], step: Step): Promise<void> {
  const at = (i: unknown) => wallets[Number(i) % wallets.length] ?? '';
  const post = (url: string, payload: object) => t.request({ method: 'POST', url, payload });
  let response: Awaited<ReturnType<typeof post>> | undefined;
  switch (step.op) {
    case 'fund':
      response = await post('/v1/payments', {
        wallet_id: at(step.to),
        amount: step.amount,
        currency: 'USD',
        source: { type: 'card', number: '4242424242424242' },
      });
      break;
    case 'transfer': {
      const amount = Number(step.amount);
      response = await post('/v1/transfers', {
        source_wallet_id: at(step.from),
        destination_wallet_id: at(Number(step.to) + (step.from === step.to ? 1 : 0)),
        amount: step.amount,
        currency: 'USD',
        ...(step.fee === true && amount > 0.01 ? { fee: { amount: '0.01' } } : {}),
        ...(step.hold === true
          ? { hold: true, expires_at: new Date(t.clock.now().getTime() + 60_000).toISOString() }
          : {}),
      });
      if (response.statusCode === 201 && step.hold === true) holds.push(response.json().id);
      break;
    }
    case 'split':
      response = await post('/v1/transfers', {
        source_wallet_id: at(step.from),
        amount: step.amount,
        currency: 'USD',
        destinations: [
          { wallet_id: at(Number(step.from) + 1), percent: String(step.percent) },
          { wallet_id: at(Number(step.from) + 2), remainder: true },
        ],
      });
      break;
    case 'capture': {
      const id = holds[Number(step.which) % Math.max(holds.length, 1)];
      if (id === undefined) return;
      const held = (await t.request({ method: 'GET', url: `/v1/transfers/${id}` })).json();
      const part = ((Math.round(Number(held.amount) * 100) * Number(step.fraction)) / 100 / 100).toFixed(2);
      response = await post(`/v1/transfers/${id}/capture`, Number(part) > 0 ? { amount: part } : {});
      break;
    }
    case 'void': {
      const id = holds[Number(step.which) % Math.max(holds.length, 1)];
      if (id === undefined) return;
      response = await post(`/v1/transfers/${id}/void`, {});
      break;
    }
    case 'expire':
      t.clock.advance(30_000);
      await inTransaction(t.db.pool, (client) => expireHolds(client, t.clock.now(), 100));
      return;
  }
  // Refusals are expected (insufficient funds, hold already captured...); a 5xx never is.
  expect(response?.statusCode ?? 200, response?.body).toBeLessThan(500);
}

describe('ledger invariants under random operations', () => {
  it('keeps every asset at zero, every balance equal to its postings, every wallet above its floor', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 5, maxLength: 40 }), async (steps) => {
        const wallets = await Promise.all(Array.from({ length: 5 }, () => newWallet(t)));
        for (const id of wallets.slice(0, 3)) await fund(t, id, '100.00');
        const holds: string[] = [];
        for (const step of steps) await run(wallets, holds, step);
        expect(await verifyLedger(t.db.pool)).toEqual([]);
      }),
      { numRuns: 25 },
    );
    // Guard against a generator that only produced refusals: the runs must have moved money.
    const moved = await t.db.pool.query<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM transfers GROUP BY status',
    );
    const counts = Object.fromEntries(moved.rows.map((row) => [row.status, Number(row.n)]));
    expect(counts.posted ?? 0).toBeGreaterThan(20);
    expect((counts.voided ?? 0) + (counts.expired ?? 0)).toBeGreaterThan(0);
  });
});
