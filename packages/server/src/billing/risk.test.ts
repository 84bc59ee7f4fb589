import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, getJson, postOk } from '../test-support/money.js';
import { advance, customer, invoicesOf, monthlyPrice } from './test-support.js';

/**
 * Charges are money movements: risk rules screen them whether a request (a subscription's first
 * invoice, a payment of an invoice) or the worker (a renewal, a retry) makes them.
 */

let t: TestApp;
let rule_id: string;
beforeAll(async () => {
  t = await createTestApp();
  rule_id = (
    await postOk(t, '/v1/risk_rules', {
      name: 'No charge above 50',
      type: 'amount_above',
      action: 'block',
      currency: 'USD',
      amount: '50.00',
    })
  ).id;
});
afterAll(() => t.close());

/** A holder's wallet funded under the rule's limit, 40.00 at a time. */
async function funded40(times: number, clock?: string): Promise<{ holder_id: string; wallet_id: string }> {
  const party = await customer(t, '0', clock);
  for (let i = 0; i < times; i += 1) await fund(t, party.wallet_id, '40.00');
  return party;
}

describe('risk rules on charges', () => {
  it("block a subscription's first invoice: incomplete, nothing moved, the decision recorded", async () => {
    const price = await monthlyPrice(t, '60.00');
    const { holder_id, wallet_id } = await funded40(2);
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: price }] });
    expect(sub.status).toBe('incomplete');
    const [invoice] = await invoicesOf(t, sub.id);
    expect(invoice).toMatchObject({ status: 'open', last_failure_code: 'risk_blocked' });
    expect((await balanceOf(t, wallet_id)).available).toBe('80.00');
    const decisions = await t.db.pool.query('SELECT action FROM risk_decisions WHERE rule_id = $1', [
      rule_id,
    ]);
    expect(decisions.rows.length).toBeGreaterThan(0);
  });

  it('block a renewal in the worker: past_due, and a charge under the limit goes through', async () => {
    const clock = await postOk(t, '/v1/test_clocks', { frozen_time: '2027-03-01T00:00:00Z' });
    const small = await monthlyPrice(t, '20.00');
    const { holder_id, wallet_id } = await funded40(5, clock.id);
    const sub = await postOk(t, '/v1/subscriptions', { holder_id, wallet_id, items: [{ price_id: small }] });
    expect(sub.status).toBe('active');
    const item = (sub.items as { id: string }[])[0]?.id;
    await postOk(
      t,
      `/v1/subscriptions/${sub.id}`,
      { items: [{ id: item, quantity: 3 }], proration_behavior: 'none' },
      200,
    );
    await advance(t, clock.id, '2027-04-02T00:00:00Z');
    expect((await getJson(t, `/v1/subscriptions/${sub.id}`)).status).toBe('past_due');
    expect((await invoicesOf(t, sub.id)).at(-1)).toMatchObject({
      last_failure_code: 'risk_blocked',
      total: '60.00',
    });
    expect((await balanceOf(t, wallet_id)).available).toBe('180.00');
  });
});
