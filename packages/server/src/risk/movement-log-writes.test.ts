import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { expectProblem, funded, newWallet, transfer } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function rule(payload: Record<string, unknown>): Promise<void> {
  const response = await t.request({
    method: 'POST',
    url: '/v1/risk_rules',
    payload: { name: 'rule', currency: 'USD', ...payload },
  });
  expect(response.statusCode, response.body).toBe(201);
}

async function logged(wallet_id: string): Promise<number> {
  const result = await t.db.pool.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM movement_log WHERE source_wallet_id = $1',
    [wallet_id],
  );
  return result.rows[0]?.count ?? 0;
}

describe('the movement log', () => {
  it('is written only while an enabled rule counts it, and a velocity rule counts from then on', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const pay = () =>
      transfer(t, { source_wallet_id: source, destination_wallet_id: vendor, amount: '1.00' });
    await rule({ type: 'amount_above', action: 'block', amount: '50.00' });
    await rule({ type: 'kyc_tier', action: 'block', kyc_tier: 1, balance_max: '1000.00' });
    // Screened by both rules, neither of which reads the log: nothing is written to it.
    expect((await pay()).statusCode).toBe(201);
    expect(await logged(source)).toBe(0);

    await rule({ type: 'velocity', action: 'block', subject: 'wallet', window_s: 3600, count_max: 2 });
    expect((await pay()).statusCode).toBe(201);
    expect(await logged(source)).toBe(1);
    expect((await pay()).statusCode).toBe(201);
    // The movement made before the velocity rule was not logged, so the window holds two: a third is one too many.
    expectProblem(await pay(), 403, 'risk_blocked', undefined);
    expect(await logged(source)).toBe(2);
  });
});
