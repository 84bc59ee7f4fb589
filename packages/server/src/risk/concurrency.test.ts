import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, funded, newWallet, transfer } from '../test-support/money.js';

// Blocking rules hold under parallel requests exactly as spend limits do: a group-commit batch
// screens each job against what the jobs before it will move, and separate transactions (parallel
// batches, payouts) take the locks of what the rules read.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const parallel = 40;
const velocity_5_per_hour = { type: 'velocity', subject: 'wallet', window_s: 3600, count_max: 5 };

async function rule(payload: Record<string, unknown>): Promise<string> {
  const response = await t.request({
    method: 'POST',
    url: '/v1/risk_rules',
    payload: { name: 'rule', currency: 'USD', action: 'block', ...payload },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

/** Runs `body` while a blocking rule is enabled; the rule is disabled after, even on failure. */
async function withRule(payload: Record<string, unknown>, body: () => Promise<void>): Promise<void> {
  const id = await rule(payload);
  try {
    await body();
  } finally {
    const response = await t.request({
      method: 'POST',
      url: `/v1/risk_rules/${id}`,
      payload: { enabled: false },
    });
    expect(response.json().enabled).toBe(false);
  }
}

function payout(wallet_id: string, amount: string) {
  return t.request({
    method: 'POST',
    url: '/v1/payouts',
    payload: {
      wallet_id,
      amount,
      currency: 'USD',
      destination: {
        type: 'bank_account',
        account_holder_name: 'A',
        account_number: '000123456789',
        routing_number: '110000000',
      },
    },
  });
}

/** How many answered 2xx; every other answer must be the rule's 403. */
function passed(responses: readonly LightMyRequestResponse[]): number {
  for (const response of responses)
    if (response.statusCode >= 300) expect(response.json().code, response.body).toBe('risk_blocked');
  return responses.filter((response) => response.statusCode < 300).length;
}

async function tierZeroWallet(): Promise<string> {
  const holder = await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'Tier Zero' } });
  return newWallet(t, 'USD', { holder_id: holder.json().id });
}

describe('risk rules under parallel requests', () => {
  it('a velocity rule of 5 per hour lets exactly 5 of 40 parallel transfers through', async () => {
    const source = await funded(t, '1000.00');
    const vendor = await newWallet(t);
    await withRule(velocity_5_per_hour, async () => {
      const responses = await Promise.all(
        Array.from({ length: parallel }, () =>
          transfer(t, { source_wallet_id: source, destination_wallet_id: vendor, amount: '1.00' }),
        ),
      );
      expect(passed(responses)).toBe(5);
    });
    expect((await balanceOf(t, vendor)).available).toBe('5.00');
  });

  it('a velocity rule of 5 per hour lets exactly 5 of 40 parallel payouts through', async () => {
    const source = await funded(t, '1000.00');
    await withRule(velocity_5_per_hour, async () => {
      const responses = await Promise.all(Array.from({ length: parallel }, () => payout(source, '1.00')));
      expect(passed(responses)).toBe(5);
    });
    expect((await balanceOf(t, source)).available).toBe('995.00');
  });

  it('a tier balance cap holds against 40 parallel transfers into the capped wallet', async () => {
    const capped = await tierZeroWallet();
    const payers = await Promise.all(Array.from({ length: 4 }, () => funded(t, '200.00')));
    await withRule({ type: 'kyc_tier', kyc_tier: 0, balance_max: '100.00' }, async () => {
      const responses = await Promise.all(
        Array.from({ length: parallel }, (_, i) =>
          transfer(t, {
            source_wallet_id: payers[i % payers.length],
            destination_wallet_id: capped,
            amount: '10.00',
          }),
        ),
      );
      expect(passed(responses)).toBe(10);
    });
    expect((await balanceOf(t, capped)).available).toBe('100.00');
  });

  it("a new wallet's limit holds against 40 parallel payouts", async () => {
    const young = await funded(t, '500.00');
    await withRule({ type: 'new_wallet', wallet_age_s: 86_400, amount_max: '100.00' }, async () => {
      const responses = await Promise.all(Array.from({ length: parallel }, () => payout(young, '10.00')));
      expect(passed(responses)).toBe(10);
    });
    expect((await balanceOf(t, young)).available).toBe('400.00');
  });

  it('a tier daily outflow cap holds against 40 parallel transfers and 40 parallel payouts', async () => {
    const vendor = await newWallet(t);
    for (const send of [
      (wallet: string) =>
        transfer(t, { source_wallet_id: wallet, destination_wallet_id: vendor, amount: '10.00' }),
      (wallet: string) => payout(wallet, '10.00'),
    ]) {
      const capped = await tierZeroWallet();
      await fund(t, capped, '500.00');
      await withRule({ type: 'kyc_tier', kyc_tier: 0, daily_outflow_max: '100.00' }, async () => {
        const responses = await Promise.all(Array.from({ length: parallel }, () => send(capped)));
        expect(passed(responses)).toBe(10);
      });
      expect((await balanceOf(t, capped)).available).toBe('400.00');
    }
  });
});
