import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { balanceOf, expectProblem, getJson, newWallet, post, postOk } from '../test-support/money.js';

// A pay-in is a movement into a wallet like any other (issue 13, defect 5): restrictions, the spend
// policy and risk rules screen it before the rail is asked, and a tier's balance cap applies to it.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const card = { type: 'card', number: '4242424242424242' };
const bank = { type: 'bank_account', account_number: '000123456789', routing_number: '110000000' };

function pay(wallet_id: string, amount: string, source: object = card, key?: string) {
  return post(t, '/v1/payments', { wallet_id, amount, currency: 'USD', source }, key);
}

/** Runs `body` while a rule is enabled; the rule is disabled after, even on failure. */
async function withRule(
  payload: Record<string, unknown>,
  body: (id: string) => Promise<void>,
): Promise<void> {
  const id = (await postOk(t, '/v1/risk_rules', { name: 'rule', currency: 'USD', ...payload })).id;
  try {
    await body(id);
  } finally {
    await postOk(t, `/v1/risk_rules/${id}`, { enabled: false }, 200);
  }
}

async function tierZeroWallet(): Promise<string> {
  const holder = await postOk(t, '/v1/holders', { name: 'Tier Zero' });
  return newWallet(t, 'USD', { holder_id: holder.id });
}

async function paymentsOf(wallet_id: string): Promise<number> {
  return ((await getJson(t, `/v1/payments?wallet_id=${wallet_id}`)).data as unknown[]).length;
}

describe('pay-ins are screened', () => {
  it('a card payment above a block-above-100 rule is refused and charges nothing', async () => {
    const wallet = await newWallet(t);
    await withRule({ type: 'amount_above', action: 'block', amount: '100.00' }, async (id) => {
      const refused = await pay(wallet, '5000.00');
      expectProblem(refused, 403, 'risk_blocked', undefined);
      expect(refused.json().detail).toContain(id);
      expect(await paymentsOf(wallet)).toBe(0);
      expect((await pay(wallet, '100.00')).statusCode).toBe(201);
    });
    expect((await balanceOf(t, wallet)).available).toBe('100.00');
  });

  it("a tier's balance cap holds for card and bank pay-ins, counting processing ones", async () => {
    const capped = await tierZeroWallet();
    await withRule({ type: 'kyc_tier', action: 'block', kyc_tier: 0, balance_max: '100.00' }, async () => {
      expectProblem(await pay(capped, '500.00'), 403, 'risk_blocked', undefined);
      expect((await pay(capped, '60.00')).statusCode).toBe(201);
      expectProblem(await pay(capped, '40.01'), 403, 'risk_blocked', undefined);
      const debit = await pay(capped, '40.00', bank);
      expect(debit.json().status).toBe('processing');
      // Not credited yet, but it will be without another check: it counts against the cap now.
      expectProblem(await pay(capped, '0.01'), 403, 'risk_blocked', undefined);
      await postOk(t, `/v1/test_helpers/payments/${debit.json().id}/succeed`, undefined, 200);
    });
    expect((await balanceOf(t, capped)).available).toBe('100.00');
  });

  it("a tier's balance cap holds for a split into a capped wallet", async () => {
    const capped = await tierZeroWallet();
    const seller = await newWallet(t);
    await withRule({ type: 'kyc_tier', action: 'block', kyc_tier: 0, balance_max: '100.00' }, async () => {
      const refused = await post(t, '/v1/payments', {
        wallet_id: seller,
        amount: '500.00',
        currency: 'USD',
        source: card,
        splits: [{ wallet_id: capped, amount: '150.00' }],
      });
      expectProblem(refused, 403, 'risk_blocked', undefined);
      expect(refused.json().detail).toContain(capped);
    });
  });

  it('40 parallel card payments never take a capped wallet past its cap', async () => {
    const capped = await tierZeroWallet();
    await withRule({ type: 'kyc_tier', action: 'block', kyc_tier: 0, balance_max: '100.00' }, async () => {
      const responses = await Promise.all(Array.from({ length: 40 }, () => pay(capped, '10.00')));
      for (const response of responses)
        if (response.statusCode !== 201) expectProblem(response, 403, 'risk_blocked', undefined);
      expect(responses.filter((response) => response.statusCode === 201)).toHaveLength(10);
    });
    expect((await balanceOf(t, capped)).available).toBe('100.00');
  });

  it('a review rule parks a pay-in as an approval, which runs it once approved', async () => {
    const wallet = await newWallet(t);
    await withRule({ type: 'amount_above', action: 'review', amount: '50.00' }, async (id) => {
      const held = await pay(wallet, '60.00');
      expect(held.statusCode, held.body).toBe(202);
      expect(held.json()).toMatchObject({ object: 'approval', reason: 'risk_review', risk_rule_id: id });
      expect(await paymentsOf(wallet)).toBe(0);
      const operator = await createKey(t, { scopes: ['approvals:write'] });
      const approved = await post(t, `/v1/approvals/${held.json().id}/approve`, undefined, operator.secret);
      expect(approved.json().result, approved.body).toMatchObject({ status: 201 });
    });
    expect((await balanceOf(t, wallet)).available).toBe('60.00');
  });

  it('a parked pay-in keeps no card number but the sandbox test cards, in the database or the API', async () => {
    const wallet = await newWallet(t);
    const unknown_card = '4111111111111111';
    await withRule({ type: 'amount_above', action: 'review', amount: '50.00' }, async () => {
      const held = await pay(wallet, '60.00', { type: 'card', number: unknown_card });
      expect(held.statusCode, held.body).toBe(202);
      expect(held.body).not.toContain(unknown_card);
      const shown = await t.request({ method: 'GET', url: `/v1/approvals/${held.json().id}` });
      expect(shown.json().request.body.source.number).toBe('************1111');
      const stored = await t.db.pool.query<{ body: string }>(
        'SELECT body::text FROM approvals WHERE id = $1',
        [held.json().id],
      );
      expect(stored.rows[0]?.body).not.toContain(unknown_card);
      const operator = await createKey(t, { scopes: ['approvals:write'] });
      const approved = await post(t, `/v1/approvals/${held.json().id}/approve`, undefined, operator.secret);
      // The original number could only have failed at the sandbox rail; the masked one fails alike.
      expect(approved.json().result, approved.body).toMatchObject({ status: 400 });
    });
    expect(await paymentsOf(wallet)).toBe(0);
  });

  it("a crypto deposit is screened too: one that would break a tier's cap is held for review, not lost", async () => {
    const holder = await postOk(t, '/v1/holders', { name: 'Tier Zero' });
    const capped = await newWallet(t, 'USDC', { holder_id: holder.id });
    const { address } = await postOk(
      t,
      `/v1/wallets/${capped}/deposit_addresses`,
      { network: 'ethereum' },
      200,
    );
    const deposit = (amount: string) => post(t, '/v1/test_helpers/crypto_deposits', { address, amount });
    const rule = { type: 'kyc_tier', action: 'block', kyc_tier: 0, balance_max: '100', currency: 'USDC' };
    await withRule(rule, async (id) => {
      // The money is on the chain already: refusing the deposit would lose it.
      const held = await deposit('500');
      expect(held.statusCode, held.body).toBe(202);
      expect(held.json()).toMatchObject({ object: 'approval', reason: 'risk_review', risk_rule_id: id });
      expect(held.json().detail).toContain('held for review');
      expect(await paymentsOf(capped)).toBe(0);
      expect((await deposit('100')).json().status).toBe('processing');
      // Processing, so not credited yet: it counts against the cap all the same.
      expect((await deposit('0.000001')).statusCode).toBe(202);
      // An operator who looked at it lets the first one in, above the cap.
      const operator = await createKey(t, { scopes: ['approvals:write'] });
      const approved = await post(t, `/v1/approvals/${held.json().id}/approve`, undefined, operator.secret);
      expect(approved.json().result, approved.body).toMatchObject({
        status: 200,
        body: { status: 'processing' },
      });
    });
    expect(await paymentsOf(capped)).toBe(2);
  });

  it('a crypto deposit a challenge rule matches is held for review: nobody asked for it, nobody confirms it', async () => {
    const capped = await newWallet(t, 'USDC', {
      holder_id: (await postOk(t, '/v1/holders', { name: 'Depositor' })).id,
    });
    const { address } = await postOk(
      t,
      `/v1/wallets/${capped}/deposit_addresses`,
      { network: 'ethereum' },
      200,
    );
    const rule = { type: 'amount_above', action: 'challenge', amount: '1', currency: 'USDC' };
    await withRule(rule, async () => {
      const held = await post(t, '/v1/test_helpers/crypto_deposits', { address, amount: '2' });
      expect(held.statusCode, held.body).toBe(202);
      expect(held.json()).toMatchObject({ object: 'approval', reason: 'risk_review' });
    });
  });

  it("a policy-bound key's pay-ins count against its spend policy", async () => {
    const wallet = await newWallet(t);
    const agent = await createKey(t, {
      scopes: ['payments:write'],
      spend_policy: { limits: [{ currency: 'USD', per_movement_max: '50.00', daily_max: '80.00' }] },
    });
    expectProblem(
      await pay(wallet, '50.01', card, agent.secret),
      403,
      'spend_limit_exceeded',
      'per_movement_max',
    );
    expect((await pay(wallet, '50.00', card, agent.secret)).statusCode).toBe(201);
    expectProblem(await pay(wallet, '30.01', card, agent.secret), 403, 'spend_limit_exceeded', 'daily_max');
    expect((await balanceOf(t, wallet)).available).toBe('50.00');
  });
});
