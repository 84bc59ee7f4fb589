import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { escrowEntries, escrowOf, expectEscrowBooksBalance, parties } from '../test-support/escrows.js';
import { balanceOf, usd } from '../test-support/money.js';

let t: TestApp;
let server: FastifyInstance;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  server = await buildApp({ pool: t.db.pool, config: t.config, clock: t.clock });
  base = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await expectEscrowBooksBalance(t);
  await server.close();
  await t.close();
});

/** Sends all the actions at once over the socket; returns each one's status and error code. */
function race(id: string, actions: { action: string; body?: object }[]) {
  return Promise.all(
    actions.map(async ({ action, body }) => {
      const response = await fetch(`${base}/v1/escrows/${id}/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.test_key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
      const json = (await response.json()) as { code?: string };
      return `${action} ${response.status}${json.code === undefined ? '' : ` ${json.code}`}`;
    }),
  );
}

function count(results: string[], result: string): number {
  return results.filter((candidate) => candidate === result).length;
}

describe('parallel changes to one escrow never pay out more than its amount', () => {
  it('20 releases of 10.00 at once from 100.00: exactly 10 pay', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '100.00');
    const results = await race(
      escrow.id,
      Array.from({ length: 20 }, () => ({ action: 'release', body: { amount: '10.00' } })),
    );
    expect(count(results, 'release 200')).toBe(10);
    // The last to pay ends the escrow; later ones see it ended or find too little left.
    expect(count(results, 'release 409 escrow_not_active')).toBe(10);
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('100.00'));
    expect(await escrowEntries(t, escrow.id)).toHaveLength(11);
  });

  it('one milestone released by 10 requests at once is paid once', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '100.00', {
      milestones: [{ amount: '60.00' }, { amount: '40.00' }],
    });
    const results = await race(
      escrow.id,
      Array.from({ length: 10 }, () => ({ action: 'release', body: { milestone_id: 'ms_1' } })),
    );
    expect(count(results, 'release 200')).toBe(1);
    expect(count(results, 'release 409 milestone_not_pending')).toBe(9);
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('60.00'));
  });

  it('releases of 15.00 racing cancels: one cancel wins and the two sides add up to the amount', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '100.00');
    const actions = Array.from({ length: 15 }, (_, i) =>
      i % 3 === 2 ? { action: 'cancel' } : { action: 'release', body: { amount: '15.00' } },
    );
    const results = await race(escrow.id, actions);
    expect(count(results, 'cancel 200')).toBe(1);
    const released = count(results, 'release 200');
    expect(released).toBeLessThanOrEqual(6);
    const payee = await balanceOf(t, wallets.payee);
    const payer = await balanceOf(t, wallets.payer);
    expect(payee).toEqual(usd(`${15 * released}.00`));
    expect(payer).toEqual(usd(`${100 - 15 * released}.00`));
    expect(await escrowEntries(t, escrow.id)).toHaveLength(2 + released);
  });
});
