import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { balanceOf, expectProblem, funded, newWallet } from '../test-support/money.js';

/**
 * The one request protocol, seen from outside: whichever path runs a request (one request, a
 * group-commit batch, an approved request), a refusal by the access checks leaves nothing they
 * wrote behind.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const bank = {
  type: 'bank_account',
  account_holder_name: 'Ada Lovelace',
  account_number: '000123456789',
  routing_number: '110000000',
};

/** The key's spend counter rows, as the database holds them. */
async function counters(key_id: string): Promise<{ period: string; spent_minor: string }[]> {
  const result = await t.db.pool.query<{ period: string; spent_minor: string }>(
    'SELECT period, spent_minor::text FROM spend_counters WHERE api_key_id = $1 ORDER BY period',
    [key_id],
  );
  return result.rows;
}

describe('a refusal or a park by the access checks', () => {
  it('leaves the spend counters unchanged on the transfer, the single-request and the approval paths', async () => {
    const source = await funded(t, '500.00');
    const vendor = await newWallet(t);
    const policy = { limits: [{ currency: 'USD', daily_max: '400.00', approval_above: '50.00' }] };
    const scopes = ['transfers:write', 'payouts:write'];
    const [parker, agent] = [
      await createKey(t, { scopes, spend_policy: policy }),
      await createKey(t, { scopes, spend_policy: policy }),
    ];
    const approver = await createKey(t, { scopes: ['approvals:write'] });
    const parked = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      key: parker.secret,
      payload: { source_wallet_id: source, destination_wallet_id: vendor, amount: '60.00', currency: 'USD' },
    });
    expect(parked.statusCode, parked.body).toBe(202);
    // Nothing has moved: parking rolled back what the checks wrote, as a refusal does.
    expect(await counters(parker.id), 'parked on the group-commit path').toEqual([]);
    // The spend policy passes each of the movements below (so it locks, and may create, the
    // key's counter rows); then this rule refuses them.
    const rule = await t.request({
      method: 'POST',
      url: '/v1/risk_rules',
      payload: { name: 'block', type: 'amount_above', action: 'block', amount: '5.00', currency: 'USD' },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const before = await counters(agent.id);
    expect(before).toEqual([]);

    const transfer = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      key: agent.secret,
      headers: { 'idempotency-key': 'refused-transfer' },
      payload: { source_wallet_id: source, destination_wallet_id: vendor, amount: '10.00', currency: 'USD' },
    });
    expectProblem(transfer, 403, 'risk_blocked');
    expect(await counters(agent.id), 'group-commit path').toEqual(before);

    const payout = await t.request({
      method: 'POST',
      url: '/v1/payouts',
      key: agent.secret,
      headers: { 'idempotency-key': 'refused-payout' },
      payload: { wallet_id: source, amount: '10.00', currency: 'USD', destination: bank },
    });
    expectProblem(payout, 403, 'risk_blocked');
    expect(await counters(agent.id), 'single-request path').toEqual(before);

    const approved = await t.request({
      method: 'POST',
      url: `/v1/approvals/${parked.json().id}/approve`,
      key: approver.secret,
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', result: { status: 403 } });
    expect(await counters(parker.id), 'approval path').toEqual([]);
    expect((await balanceOf(t, source)).available).toBe('500.00');
  });
});
