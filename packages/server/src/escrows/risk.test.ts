import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { escrowAction, escrowOf, expectEscrowBooksBalance, parties } from '../test-support/escrows.js';
import { balanceOf, expectProblem, fund, funded, newWallet, transfer, usd } from '../test-support/money.js';
import { auto_retry_s, settleDueEscrows } from './auto.js';

/**
 * Escrowed money reaching a wallet, by hand or by the worker, is screened by the risk rules of its
 * mode: a release as a movement to the payee, a cancel or refund as an inflow into the payer.
 */
let t: TestApp;
let rule_id: string;
beforeAll(async () => {
  t = await createTestApp();
  const rule = await t.request({
    method: 'POST',
    url: '/v1/risk_rules',
    payload: {
      name: 'tier 0 cap',
      type: 'kyc_tier',
      action: 'block',
      currency: 'USD',
      kyc_tier: 0,
      balance_max: '100.00',
    },
  });
  expect(rule.statusCode, rule.body).toBe(201);
  rule_id = rule.json().id;
});
afterAll(async () => {
  await expectEscrowBooksBalance(t);
  await t.close();
});

const hour_ms = 3_600_000;
const inAnHour = () => new Date(t.clock.now().getTime() + hour_ms).toISOString();

/** A wallet of a new (tier 0) holder, holding `amount` if given. */
async function capped(amount?: string): Promise<string> {
  const holder = (
    await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'Tier Zero' } })
  ).json().id;
  const wallet = await newWallet(t, 'USD', { holder_id: holder });
  if (amount !== undefined) await fund(t, wallet, amount);
  return wallet;
}

async function statusOf(id: string): Promise<string> {
  return (await t.request({ method: 'GET', url: `/v1/escrows/${id}` })).json().status;
}

async function decisionsOn(object_id: string) {
  const response = await t.request({ method: 'GET', url: `/v1/risk_decisions?object_id=${object_id}` });
  return response.json().data as { rule_id: string; action: string; wallet_id: string }[];
}

describe('risk rules on escrowed money', () => {
  it('a tier balance cap holds on automatic release: refused, held, the decision names the escrow, retried later', async () => {
    const payee = await capped();
    const escrow = await escrowOf(t, { payer: await funded(t, '100.00'), payee }, '100.00', {
      auto_release_at: inAnHour(),
    });
    // Escrowing for the payee was screened against its cap; it reaches the cap afterwards.
    await fund(t, payee, '100.00');
    expectProblem(await escrowAction(t, escrow.id, 'release', { amount: '100.00' }), 403, 'risk_blocked');
    t.clock.advance(hour_ms);
    expect(await settleDueEscrows(t.db.pool, t.clock.now(), 100)).toBe(0);
    expect(await statusOf(escrow.id)).toBe('held');
    expect(await balanceOf(t, payee)).toEqual(usd('100.00'));
    expect(await decisionsOn(escrow.id)).toMatchObject([{ rule_id, action: 'block', wallet_id: payee }]);
    // Once the payee has room again, the next try after the retry delay releases it.
    const spent = await transfer(t, {
      source_wallet_id: payee,
      destination_wallet_id: await newWallet(t),
      amount: '100.00',
    });
    expect(spent.statusCode, spent.body).toBe(201);
    expect(await settleDueEscrows(t.db.pool, t.clock.now(), 100)).toBe(0);
    t.clock.advance(auto_retry_s * 1000);
    expect(await settleDueEscrows(t.db.pool, t.clock.now(), 100)).toBe(1);
    expect(await statusOf(escrow.id)).toBe('released');
    expect(await balanceOf(t, payee)).toEqual(usd('100.00'));
  });

  it('a tier balance cap holds on a cancel and an automatic refund into the payer', async () => {
    const payer = await capped('100.00');
    const by_hand = await escrowOf(t, { payer, payee: await newWallet(t) }, '50.00');
    const by_date = await escrowOf(t, { payer, payee: await newWallet(t) }, '50.00', {
      auto_refund_at: inAnHour(),
    });
    await fund(t, payer, '100.00');
    expectProblem(await escrowAction(t, by_hand.id, 'cancel'), 403, 'risk_blocked');
    t.clock.advance(hour_ms);
    expect(await settleDueEscrows(t.db.pool, t.clock.now(), 100)).toBe(0);
    for (const id of [by_hand.id, by_date.id]) expect(await statusOf(id)).toBe('held');
    expect(await balanceOf(t, payer)).toEqual(usd('100.00'));
    expect(await decisionsOn(by_date.id)).toMatchObject([{ rule_id, action: 'block', wallet_id: payer }]);
  });

  it('lets escrows of wallets under their caps settle as before', async () => {
    const wallets = await parties(t);
    const escrow = await escrowOf(t, wallets, '30.00', { auto_release_at: inAnHour() });
    const canceled = await escrowOf(t, wallets, '20.00');
    expect((await escrowAction(t, canceled.id, 'cancel')).statusCode).toBe(200);
    t.clock.advance(hour_ms);
    expect(await settleDueEscrows(t.db.pool, t.clock.now(), 100)).toBe(1);
    expect(await statusOf(escrow.id)).toBe('released');
    expect(await balanceOf(t, wallets.payee)).toEqual(usd('30.00'));
  });
});
