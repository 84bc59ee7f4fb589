import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, fund, newWallet, post, postOk, transfer } from '../test-support/money.js';

// A tier's caps on what its holders send and receive, per UTC day and month: every way money
// comes in (pay-ins, transfers from others) counts against the receiving holder.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function withRule(payload: Record<string, unknown>, body: () => Promise<void>): Promise<void> {
  const rule = await postOk(t, '/v1/risk_rules', {
    name: 'tier',
    type: 'kyc_tier',
    action: 'block',
    currency: 'USD',
    ...payload,
  });
  try {
    await body();
  } finally {
    await postOk(t, `/v1/risk_rules/${rule.id}`, { enabled: false }, 200);
  }
}

async function holderWallets(tier: number): Promise<[string, string]> {
  const holder = await postOk(t, '/v1/holders', { name: 'Capped', kyc_tier: tier });
  return [
    await newWallet(t, 'USD', { holder_id: holder.id }),
    await newWallet(t, 'USD', { holder_id: holder.id }),
  ];
}

function payIn(wallet_id: string, amount: string) {
  return post(t, '/v1/payments', {
    wallet_id,
    amount,
    currency: 'USD',
    source: { type: 'card', number: '4242424242424242' },
  });
}

describe("a tier's inflow and outflow caps", () => {
  it("count every pay-in and transfer into the holder's wallets, per UTC day", async () => {
    const [first, second] = await holderWallets(3);
    const sender = await newWallet(t);
    await fund(t, sender, '500.00');
    await withRule({ kyc_tier: 3, daily_inflow_max: '100.00' }, async () => {
      expect((await payIn(first, '60.00')).statusCode).toBe(201);
      // Another wallet of the same holder: the cap is the holder's.
      expectProblem(await payIn(second, '40.01'), 403, 'risk_blocked');
      expectProblem(
        await transfer(t, { source_wallet_id: sender, destination_wallet_id: second, amount: '40.01' }),
        403,
        'risk_blocked',
      );
      const within = await transfer(t, {
        source_wallet_id: sender,
        destination_wallet_id: second,
        amount: '40.00',
      });
      expect(within.statusCode, within.body).toBe(201);
      expectProblem(await payIn(first, '0.01'), 403, 'risk_blocked');
      // A holder of another tier is not capped.
      const [other] = await holderWallets(4);
      expect((await payIn(other, '400.00')).statusCode).toBe(201);
      t.clock.advance(86_400_000);
      expect((await payIn(first, '100.00')).statusCode).toBe(201);
    });
    expect((await balanceOf(t, first)).available).toBe('160.00');
    expect((await balanceOf(t, second)).available).toBe('40.00');
  });

  it('cap what a holder sends per calendar month', async () => {
    const [wallet] = await holderWallets(5);
    await fund(t, wallet, '500.00');
    const payee = await newWallet(t);
    await withRule({ kyc_tier: 5, monthly_outflow_max: '150.00' }, async () => {
      const send = (amount: string) =>
        transfer(t, { source_wallet_id: wallet, destination_wallet_id: payee, amount });
      expect((await send('100.00')).statusCode).toBe(201);
      t.clock.advance(86_400_000);
      expect((await send('50.00')).statusCode).toBe(201);
      const refused = await send('0.01');
      expectProblem(refused, 403, 'risk_blocked');
      expect(refused.json().detail).toContain('this month');
    });
    expect((await balanceOf(t, payee)).available).toBe('150.00');
  });

  it('hold against 40 parallel pay-ins: exactly ten of 10.00 fit a 100.00 monthly inflow', async () => {
    const [wallet] = await holderWallets(6);
    await withRule({ kyc_tier: 6, monthly_inflow_max: '100.00' }, async () => {
      const answers = await Promise.all(Array.from({ length: 40 }, () => payIn(wallet, '10.00')));
      for (const answer of answers)
        if (answer.statusCode !== 201) expect(answer.json().code, answer.body).toBe('risk_blocked');
      expect(answers.filter((answer) => answer.statusCode === 201)).toHaveLength(10);
    });
    expect((await balanceOf(t, wallet)).available).toBe('100.00');
  });

  it('refuse a rule with no cap, and take amounts in the rule’s currency', async () => {
    const none = await post(t, '/v1/risk_rules', {
      name: 'none',
      type: 'kyc_tier',
      action: 'block',
      currency: 'USD',
      kyc_tier: 1,
    });
    expectProblem(none, 400, 'invalid_request', 'balance_max');
    const fine = await post(t, '/v1/risk_rules', {
      name: 'fine',
      type: 'kyc_tier',
      action: 'block',
      currency: 'USD',
      kyc_tier: 1,
      daily_inflow_max: '1.001',
    });
    expectProblem(fine, 400, 'invalid_amount', 'daily_inflow_max');
  });
});
