import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { balanceOf, expectProblem, funded, newWallet, transfer } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function rule(payload: Record<string, unknown>, key?: string): Promise<string> {
  const response = await t.request({
    method: 'POST',
    url: '/v1/risk_rules',
    payload: { name: 'rule', currency: 'USD', ...payload },
    ...(key === undefined ? {} : { key }),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

async function disable(id: string): Promise<void> {
  const response = await t.request({
    method: 'POST',
    url: `/v1/risk_rules/${id}`,
    payload: { enabled: false },
  });
  expect(response.json().enabled).toBe(false);
}

async function decisions(query: string) {
  return (await t.request({ method: 'GET', url: `/v1/risk_decisions?${query}` })).json().data as {
    rule_id: string;
    action: string;
    object_id: string | null;
  }[];
}

describe('risk rules', () => {
  it('block an amount above a threshold with 403 risk_blocked, and record the decision', async () => {
    const source = await funded(t, '500.00');
    const vendor = await newWallet(t);
    const id = await rule({ type: 'amount_above', action: 'block', amount: '100.00' });
    expect(
      (await transfer(t, { source_wallet_id: source, destination_wallet_id: vendor, amount: '100.00' }))
        .statusCode,
    ).toBe(201);
    const blocked = await transfer(t, {
      source_wallet_id: source,
      destination_wallet_id: vendor,
      amount: '100.01',
    });
    expectProblem(blocked, 403, 'risk_blocked', undefined);
    expect(blocked.json().detail).toContain(id);
    expect(await decisions(`rule_id=${id}`)).toMatchObject([{ action: 'block', object_id: null }]);
    const payout = await t.request({
      method: 'POST',
      url: '/v1/payouts',
      payload: {
        wallet_id: source,
        amount: '150.00',
        currency: 'USD',
        destination: {
          type: 'bank_account',
          account_holder_name: 'A',
          account_number: '000123456789',
          routing_number: '110000000',
        },
      },
    });
    expectProblem(payout, 403, 'risk_blocked', undefined);
    expect((await balanceOf(t, source)).available).toBe('400.00');
    await disable(id);
    expect(
      (await transfer(t, { source_wallet_id: source, destination_wallet_id: vendor, amount: '150.00' }))
        .statusCode,
    ).toBe(201);
  });

  it('flag: the movement goes through and the decision names the object it made', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const id = await rule({ type: 'amount_above', action: 'flag', amount: '10.00' });
    const made = await transfer(t, {
      source_wallet_id: source,
      destination_wallet_id: vendor,
      amount: '20.00',
    });
    expect(made.statusCode).toBe(201);
    expect(await decisions(`object_id=${made.json().id}`)).toMatchObject([{ rule_id: id, action: 'flag' }]);
    const events = await t.request({ method: 'GET', url: '/v1/events?type=risk.flagged' });
    expect(events.json().data).toMatchObject([
      {
        type: 'risk.flagged',
        data: { object: { object: 'risk_decision', rule_id: id, object_id: made.json().id } },
      },
    ]);
    await disable(id);
  });

  it('review: held as an approval until an operator decides', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const id = await rule({ type: 'amount_above', action: 'review', amount: '50.00' });
    const held = await transfer(t, {
      source_wallet_id: source,
      destination_wallet_id: vendor,
      amount: '60.00',
    });
    expect(held.statusCode, held.body).toBe(202);
    expect(held.json()).toMatchObject({
      object: 'approval',
      reason: 'risk_review',
      risk_rule_id: id,
      status: 'pending',
    });
    expect(await decisions(`object_id=${held.json().id}`)).toMatchObject([{ rule_id: id, action: 'review' }]);
    expect((await balanceOf(t, vendor)).available).toBe('0.00');
    expectProblem(
      await t.request({ method: 'POST', url: `/v1/approvals/${held.json().id}/approve` }),
      403,
      'key_restricted',
      undefined,
    );
    const operator = await createKey(t, { scopes: ['approvals:write'] });
    const approved = await t.request({
      method: 'POST',
      url: `/v1/approvals/${held.json().id}/approve`,
      key: operator.secret,
    });
    expect(approved.json().result.status).toBe(201);
    expect((await balanceOf(t, vendor)).available).toBe('60.00');
    await disable(id);
  });

  it('velocity: counts a wallet, holder or key over a window', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const id = await rule({
      type: 'velocity',
      action: 'block',
      subject: 'wallet',
      window_s: 60,
      count_max: 3,
    });
    for (let i = 0; i < 3; i += 1)
      expect(
        (await transfer(t, { source_wallet_id: source, destination_wallet_id: vendor, amount: '1.00' }))
          .statusCode,
      ).toBe(201);
    expectProblem(
      await transfer(t, { source_wallet_id: source, destination_wallet_id: vendor, amount: '1.00' }),
      403,
      'risk_blocked',
      undefined,
    );
    const other = await funded(t, '10.00');
    expect(
      (await transfer(t, { source_wallet_id: other, destination_wallet_id: vendor, amount: '1.00' }))
        .statusCode,
    ).toBe(201);
    t.clock.advance(61_000);
    expect(
      (await transfer(t, { source_wallet_id: source, destination_wallet_id: vendor, amount: '1.00' }))
        .statusCode,
    ).toBe(201);
    await disable(id);
    const key = await createKey(t, { scopes: ['transfers:write'] });
    const by_key = await rule({
      type: 'velocity',
      action: 'block',
      subject: 'api_key',
      window_s: 60,
      amount_max: '5.00',
    });
    const send = (amount: string) =>
      t.request({
        method: 'POST',
        url: '/v1/transfers',
        key: key.secret,
        payload: { source_wallet_id: other, destination_wallet_id: vendor, amount, currency: 'USD' },
      });
    expect((await send('5.00')).statusCode).toBe(201);
    expectProblem(await send('0.01'), 403, 'risk_blocked', undefined);
    await disable(by_key);
  });

  it('new wallets and KYC tiers have their own limits', async () => {
    const young = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const id = await rule({ type: 'new_wallet', action: 'block', wallet_age_s: 86_400, amount_max: '30.00' });
    expect(
      (await transfer(t, { source_wallet_id: young, destination_wallet_id: vendor, amount: '30.00' }))
        .statusCode,
    ).toBe(201);
    expectProblem(
      await transfer(t, { source_wallet_id: young, destination_wallet_id: vendor, amount: '0.01' }),
      403,
      'risk_blocked',
      undefined,
    );
    t.clock.advance(86_400_000);
    expect(
      (await transfer(t, { source_wallet_id: young, destination_wallet_id: vendor, amount: '1.00' }))
        .statusCode,
    ).toBe(201);
    await disable(id);

    const holder = (
      await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'Tier Zero' } })
    ).json().id;
    const capped = await newWallet(t, 'USD', { holder_id: holder });
    const tier = await rule({
      type: 'kyc_tier',
      action: 'block',
      kyc_tier: 0,
      balance_max: '50.00',
      daily_outflow_max: '20.00',
    });
    const rich = await funded(t, '200.00');
    expect(
      (await transfer(t, { source_wallet_id: rich, destination_wallet_id: capped, amount: '50.00' }))
        .statusCode,
    ).toBe(201);
    expectProblem(
      await transfer(t, { source_wallet_id: rich, destination_wallet_id: capped, amount: '0.01' }),
      403,
      'risk_blocked',
      undefined,
    );
    expect(
      (await transfer(t, { source_wallet_id: capped, destination_wallet_id: vendor, amount: '20.00' }))
        .statusCode,
    ).toBe(201);
    expectProblem(
      await transfer(t, { source_wallet_id: capped, destination_wallet_id: vendor, amount: '0.01' }),
      403,
      'risk_blocked',
      undefined,
    );
    await disable(tier);
  });

  it('screen each transfer of a group-commit batch on its own: blocked, parked and passed ones share a batch', async () => {
    const source = await funded(t, '1000.00');
    const vendor = await newWallet(t);
    const block = await rule({ type: 'amount_above', action: 'block', amount: '30.00' });
    const review = await rule({ type: 'amount_above', action: 'review', amount: '20.00' });
    const amounts = Array.from({ length: 30 }, (_, i) => ['5.00', '25.00', '35.00'][i % 3] as string);
    const responses = await Promise.all(
      amounts.map((amount) =>
        transfer(t, { source_wallet_id: source, destination_wallet_id: vendor, amount }),
      ),
    );
    const by_amount = (amount: string) =>
      responses.filter((_, i) => amounts[i] === amount).map((response) => response.statusCode);
    expect(by_amount('5.00')).toEqual(Array(10).fill(201));
    expect(by_amount('25.00')).toEqual(Array(10).fill(202));
    expect(by_amount('35.00')).toEqual(Array(10).fill(403));
    expect((await balanceOf(t, vendor)).available).toBe('50.00');
    const audited = await t.db.pool.query(
      "SELECT outcome_status, count(*)::int AS n FROM audit_logs WHERE action = 'POST /v1/transfers' AND request_id = ANY($1) GROUP BY 1 ORDER BY 1",
      [responses.map((response) => response.headers['request-id'])],
    );
    expect(audited.rows).toEqual([
      { outcome_status: 201, n: 10 },
      { outcome_status: 202, n: 10 },
      { outcome_status: 403, n: 10 },
    ]);
    expect(await decisions(`rule_id=${block}&limit=100`)).toHaveLength(10);
    expect(await decisions(`rule_id=${review}&limit=100`)).toHaveLength(20);
    await disable(block);
    await disable(review);
  });

  it('refuse rules that do not hold together', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ type: 'amount_above', action: 'block' }, 'invalid_request', 'amount'],
      [{ type: 'amount_above', action: 'block', amount: '1.00', window_s: 5 }, 'invalid_request', 'window_s'],
      [{ type: 'velocity', action: 'flag', subject: 'wallet', window_s: 5 }, 'invalid_request', 'count_max'],
      [{ type: 'amount_above', action: 'block', amount: '1.001' }, 'invalid_amount', 'amount'],
      [{ type: 'kyc_tier', action: 'block', kyc_tier: 1 }, 'invalid_request', 'balance_max'],
      [
        { type: 'amount_above', action: 'block', amount: '1.00', currency: 'NOPE' },
        'asset_not_found',
        'currency',
      ],
      [{ type: 'amount_above', action: 'ban', amount: '1.00' }, 'invalid_request', 'action'],
    ];
    const before = (await t.db.pool.query('SELECT count(*)::int AS n FROM risk_rules')).rows[0].n;
    for (const [payload, code, param] of cases) {
      const response = await t.request({
        method: 'POST',
        url: '/v1/risk_rules',
        payload: { name: 'bad', currency: 'USD', ...payload },
      });
      expectProblem(response, 400, code, param);
    }
    expect((await t.db.pool.query('SELECT count(*)::int AS n FROM risk_rules')).rows[0].n).toBe(before);
    const listed = await t.request({ method: 'GET', url: '/v1/risk_rules?enabled=false' });
    expect(listed.json().data.length).toBeGreaterThan(0);
    expect(listed.json().data[0]).toMatchObject({ object: 'risk_rule', enabled: false });
  });
});
