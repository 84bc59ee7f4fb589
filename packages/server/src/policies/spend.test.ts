import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/verify.js';
import { verifyLedger } from '../ledger/verify.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { balanceOf, expectProblem, funded, newWallet } from '../test-support/money.js';
import { backgroundTasks } from '../worker/tasks.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  // A Wednesday at noon UTC, so day, week and month are unambiguous.
  t.clock.advance(Date.parse('2031-01-15T12:00:00Z') - t.clock.now().getTime());
});
afterAll(() => t.close());

const bank = {
  type: 'bank_account',
  account_holder_name: 'Ada Lovelace',
  account_number: '000123456789',
  routing_number: '110000000',
};

async function agent(
  policy: Record<string, unknown>,
  scopes = ['transfers:write', 'payouts:write', 'escrows:write'],
) {
  return createKey(t, { name: 'agent', scopes, spend_policy: policy });
}

function pay(key: string, source: string, destination: string, amount: string, currency = 'USD') {
  return t.request({
    method: 'POST',
    url: '/v1/transfers',
    key,
    payload: { source_wallet_id: source, destination_wallet_id: destination, amount, currency },
  });
}

async function transfersFrom(source: string): Promise<number> {
  const result = await t.db.pool.query(
    'SELECT count(*)::int AS n FROM transfers WHERE source_wallet_id = $1',
    [source],
  );
  return result.rows[0].n;
}

describe('spend limits', () => {
  it('refuses a movement over per_movement_max or in a currency the policy does not list, naming the limit', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const key = await agent({ limits: [{ currency: 'USD', per_movement_max: '20.00' }] });
    expect((await pay(key.secret, source, vendor, '20.00')).statusCode).toBe(201);
    expectProblem(
      await pay(key.secret, source, vendor, '20.01'),
      403,
      'spend_limit_exceeded',
      'per_movement_max',
    );
    const eur = await funded(t, '10.00', 'EUR');
    const eur_vendor = await newWallet(t, 'EUR');
    expectProblem(
      await pay(key.secret, eur, eur_vendor, '1.00', 'EUR'),
      403,
      'spend_limit_exceeded',
      'limits',
    );
    expect(await transfersFrom(source)).toBe(1);
    expect(await transfersFrom(eur)).toBe(0);
  });

  it('counts per UTC day, week and month, and starts again in the next period', async () => {
    const source = await funded(t, '1000.00');
    const vendor = await newWallet(t);
    const key = await agent({
      limits: [{ currency: 'USD', daily_max: '50.00', weekly_max: '80.00', monthly_max: '90.00' }],
    });
    expect((await pay(key.secret, source, vendor, '30.00')).statusCode).toBe(201);
    expect((await pay(key.secret, source, vendor, '20.00')).statusCode).toBe(201);
    const refused = await pay(key.secret, source, vendor, '0.01');
    expectProblem(refused, 403, 'spend_limit_exceeded', 'daily_max');
    expect(refused.json().detail).toContain('50.01');
    t.clock.advance(86_400_000);
    expect((await pay(key.secret, source, vendor, '30.00')).statusCode).toBe(201);
    expectProblem(await pay(key.secret, source, vendor, '0.01'), 403, 'spend_limit_exceeded', 'weekly_max');
    t.clock.advance(6 * 86_400_000);
    expect((await pay(key.secret, source, vendor, '10.00')).statusCode).toBe(201);
    expectProblem(await pay(key.secret, source, vendor, '0.01'), 403, 'spend_limit_exceeded', 'monthly_max');
    expect((await balanceOf(t, vendor)).available).toBe('90.00');
  });

  it('does not count a movement that failed', async () => {
    const source = await funded(t, '10.00');
    const vendor = await newWallet(t);
    const key = await agent({ limits: [{ currency: 'USD', daily_max: '15.00' }] });
    expectProblem(
      await pay(key.secret, source, vendor, '12.00'),
      402,
      'insufficient_funds',
      'source_wallet_id',
    );
    expect((await pay(key.secret, source, vendor, '10.00')).statusCode).toBe(201);
  });

  it('never overshoots a daily limit under 50 parallel requests', async () => {
    const source = await funded(t, '1000.00');
    const vendor = await newWallet(t);
    const key = await agent({ limits: [{ currency: 'USD', daily_max: '50.00' }] });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => pay(key.secret, source, vendor, i % 2 === 0 ? '3.00' : '4.00')),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.every((status) => status === 201 || status === 403)).toBe(true);
    const paid = responses
      .filter((response) => response.statusCode === 201)
      .reduce((sum, response) => sum + Number(response.json().amount) * 100, 0);
    expect(paid).toBeLessThanOrEqual(5000);
    // The limit is reached as closely as the amounts allow: nothing that still fit was refused.
    expect(paid).toBeGreaterThan(5000 - 400);
    expect((await balanceOf(t, vendor)).available).toBe((paid / 100).toFixed(2));
    const counter = await t.db.pool.query(
      "SELECT spent_minor FROM spend_counters WHERE api_key_id = $1 AND period = 'day'",
      [key.id],
    );
    expect(counter.rows).toEqual([{ spent_minor: String(paid) }]);
  });

  it('holds the limits across endpoints: payouts, escrows and batches count too', async () => {
    const source = await funded(t, '1000.00');
    const payee = await newWallet(t);
    const key = await agent({ limits: [{ currency: 'USD', daily_max: '30.00' }] }, [
      'transfers:write',
      'payouts:write',
      'escrows:write',
    ]);
    const payout = await t.request({
      method: 'POST',
      url: '/v1/payouts',
      key: key.secret,
      payload: { wallet_id: source, amount: '10.00', currency: 'USD', destination: bank },
    });
    expect(payout.statusCode, payout.body).toBe(201);
    const escrow = await t.request({
      method: 'POST',
      url: '/v1/escrows',
      key: key.secret,
      payload: { payer_wallet_id: source, payee_wallet_id: payee, amount: '10.00', currency: 'USD' },
    });
    expect(escrow.statusCode, escrow.body).toBe(201);
    const item = { source_wallet_id: source, destination_wallet_id: payee, currency: 'USD' };
    const batch = await t.request({
      method: 'POST',
      url: '/v1/transfers/batch',
      key: key.secret,
      payload: {
        transfers: [
          { ...item, amount: '6.00' },
          { ...item, amount: '6.00' },
        ],
      },
    });
    expectProblem(batch, 403, 'spend_limit_exceeded', 'daily_max');
    const fits = await t.request({
      method: 'POST',
      url: '/v1/transfers/batch',
      key: key.secret,
      payload: {
        transfers: [
          { ...item, amount: '5.00' },
          { ...item, amount: '5.00' },
        ],
      },
    });
    expect(fits.statusCode, fits.body).toBe(200);
    expect(fits.json().succeeded).toBe(2);
    expectProblem(await pay(key.secret, source, payee, '0.01'), 403, 'spend_limit_exceeded', 'daily_max');
  });
});

describe('destinations and hours', () => {
  it('pays only allowed wallets or wallets of allowed holders, and never out of Purse', async () => {
    const source = await funded(t, '100.00');
    const allowed = await newWallet(t);
    const holder = (
      await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'Vendor' } })
    ).json().id;
    const holders_wallet = await newWallet(t, 'USD', { holder_id: holder });
    const stranger = await newWallet(t);
    const key = await agent({
      limits: [{ currency: 'USD' }],
      allowed_destinations: { wallet_ids: [allowed], holder_ids: [holder] },
    });
    expect((await pay(key.secret, source, allowed, '1.00')).statusCode).toBe(201);
    expect((await pay(key.secret, source, holders_wallet, '1.00')).statusCode).toBe(201);
    expectProblem(
      await pay(key.secret, source, stranger, '1.00'),
      403,
      'spend_limit_exceeded',
      'allowed_destinations',
    );
    const split = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      key: key.secret,
      payload: {
        source_wallet_id: source,
        destinations: [
          { wallet_id: allowed, amount: '1.00' },
          { wallet_id: stranger, remainder: true },
        ],
        amount: '2.00',
        currency: 'USD',
      },
    });
    expectProblem(split, 403, 'spend_limit_exceeded', 'allowed_destinations');
    const payout = await t.request({
      method: 'POST',
      url: '/v1/payouts',
      key: key.secret,
      payload: { wallet_id: source, amount: '1.00', currency: 'USD', destination: bank },
    });
    expectProblem(payout, 403, 'spend_limit_exceeded', 'allowed_destinations');
    expect((await balanceOf(t, stranger)).available).toBe('0.00');
  });

  it('moves money only in the allowed hours of its time zone', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    // 12:00 UTC is 21:00 in Tokyo, a Wednesday.
    const key = await agent({
      limits: [{ currency: 'USD' }],
      allowed_hours: { time_zone: 'Asia/Tokyo', start_hour: 9, end_hour: 18 },
    });
    expectProblem(
      await pay(key.secret, source, vendor, '1.00'),
      403,
      'spend_limit_exceeded',
      'allowed_hours',
    );
    const daytime = await agent({
      limits: [{ currency: 'USD' }],
      allowed_hours: { start_hour: 9, end_hour: 18, weekdays: [1, 2, 3, 4, 5] },
    });
    expect((await pay(daytime.secret, source, vendor, '1.00')).statusCode).toBe(201);
  });

  it('cannot set up a payout schedule, which would pay out around the policy', async () => {
    const source = await funded(t, '100.00');
    const key = await agent({ limits: [{ currency: 'USD', daily_max: '1.00' }] });
    const response = await t.request({
      method: 'POST',
      url: `/v1/wallets/${source}/payout_schedule`,
      key: key.secret,
      payload: { interval: 'daily', destination: bank },
    });
    expectProblem(response, 403, 'key_restricted', undefined);
    const schedules = await t.db.pool.query(
      'SELECT count(*)::int AS n FROM payout_schedules WHERE wallet_id = $1',
      [source],
    );
    expect(schedules.rows[0].n).toBe(0);
  });

  it('refuses a policy that does not hold together', async () => {
    const count = async () => (await t.db.pool.query('SELECT count(*)::int AS n FROM api_keys')).rows[0].n;
    const before = await count();
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { limits: [{ currency: 'USD', daily_max: '1.001' }] },
        'invalid_amount',
        'spend_policy.limits.0.daily_max',
      ],
      [
        { limits: [{ currency: 'USD' }, { currency: 'USD' }] },
        'invalid_request',
        'spend_policy.limits.1.currency',
      ],
      [{ limits: [{ currency: 'XXX' }] }, 'asset_not_found', 'spend_policy.limits.0.currency'],
      [
        { limits: [{ currency: 'USD' }], allowed_hours: { start_hour: 9, end_hour: 9 } },
        'invalid_request',
        'spend_policy.allowed_hours',
      ],
      [
        {
          limits: [{ currency: 'USD' }],
          allowed_hours: { time_zone: 'Mars/Base', start_hour: 1, end_hour: 2 },
        },
        'invalid_request',
        'spend_policy.allowed_hours.time_zone',
      ],
      [
        { limits: [{ currency: 'USD' }], allowed_destinations: { wallet_ids: ['wal_nope'] } },
        'resource_not_found',
        'spend_policy.allowed_destinations',
      ],
      [{ limits: [{ currency: 'USD', daily_max: 50 }] }, 'invalid_amount', 'spend_policy.limits.0.daily_max'],
      [{ limits: [] }, 'invalid_request', 'spend_policy.limits'],
      [{ limits: [{ currency: 'USD' }], extra: true }, 'invalid_request', 'spend_policy.extra'],
    ];
    for (const [spend_policy, code, param] of cases) {
      const response = await t.request({
        method: 'POST',
        url: '/v1/api_keys',
        payload: { name: 'x', spend_policy },
      });
      expect(response.statusCode, JSON.stringify(spend_policy)).toBeGreaterThanOrEqual(400);
      expectProblem(response, response.statusCode, code, param);
    }
    expect(await count()).toBe(before);
  });

  it('can be changed or removed by an unbound key, never by the agent itself', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const key = await agent({ limits: [{ currency: 'USD', per_movement_max: '1.00' }] }, [
      'transfers:write',
      'api_keys:write',
    ]);
    const own = await t.request({
      method: 'POST',
      url: `/v1/api_keys/${key.id}`,
      key: key.secret,
      payload: { spend_policy: null },
    });
    expectProblem(own, 403, 'key_restricted', 'spend_policy');
    expectProblem(
      await pay(key.secret, source, vendor, '2.00'),
      403,
      'spend_limit_exceeded',
      'per_movement_max',
    );
    const raised = await t.request({
      method: 'POST',
      url: `/v1/api_keys/${key.id}`,
      payload: { spend_policy: { limits: [{ currency: 'USD', per_movement_max: '5.00' }] } },
    });
    expect(raised.statusCode, raised.body).toBe(200);
    expect(raised.json().spend_policy.limits[0].per_movement_max).toBe('5.00');
    expect((await pay(key.secret, source, vendor, '2.00')).statusCode).toBe(201);
    await t.request({ method: 'POST', url: `/v1/api_keys/${key.id}`, payload: { spend_policy: null } });
    expect((await pay(key.secret, source, vendor, '50.00')).statusCode).toBe(201);
  });
});

describe('approvals', () => {
  async function parked(key: string, source: string, vendor: string, amount: string) {
    const response = await pay(key, source, vendor, amount);
    expect(response.statusCode, response.body).toBe(202);
    const approval = response.json();
    expect(approval).toMatchObject({
      object: 'approval',
      status: 'pending',
      reason: 'spend_policy',
      amount,
      currency: 'USD',
      request: { method: 'POST', path: '/v1/transfers' },
      result: null,
    });
    expect(approval.id).toMatch(/^apr_/);
    return approval.id as string;
  }

  it('parks a movement above the threshold (202) until approved, then executes it once', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const key = await agent({ limits: [{ currency: 'USD', daily_max: '50.00', approval_above: '15.00' }] });
    const approver = await createKey(t, { scopes: ['approvals:write'] });
    const id = await parked(key.secret, source, vendor, '40.00');
    expect(await transfersFrom(source)).toBe(0);
    expect((await balanceOf(t, source)).available).toBe('100.00');
    expectProblem(
      await t.request({ method: 'POST', url: `/v1/approvals/${id}/approve`, key: key.secret }),
      403,
      'insufficient_scope',
      'approvals:write',
    );
    const approved = await t.request({
      method: 'POST',
      url: `/v1/approvals/${id}/approve`,
      key: approver.secret,
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({
      status: 'approved',
      decided_by: approver.id,
      result: { status: 201 },
    });
    expect(approved.json().result.body).toMatchObject({
      object: 'transfer',
      amount: '40.00',
      source_wallet_id: source,
    });
    expect((await balanceOf(t, vendor)).available).toBe('40.00');
    // It counted: 40 of the 50 are gone.
    expectProblem(await pay(key.secret, source, vendor, '11.00'), 403, 'spend_limit_exceeded', 'daily_max');
    expectProblem(
      await t.request({ method: 'POST', url: `/v1/approvals/${id}/approve` }),
      409,
      'approval_not_pending',
    );
    expect(await transfersFrom(source)).toBe(1);
    const entries = await t.db.pool.query(
      "SELECT actor, action, outcome_status FROM audit_logs WHERE action IN ('POST /v1/transfers', 'POST /v1/approvals/:id/approve') AND (object_id = $1 OR object_id = $2) ORDER BY id",
      [id, approved.json().result.body.id],
    );
    // Every attempt is in the trail: the parked request, the refused and the successful approval
    // with the execution on the agent's behalf, and the late second approval.
    expect(
      entries.rows.map((row) => [
        row.actor === key.id ? 'agent' : row.actor === approver.id ? 'approver' : 'admin',
        row.action,
        row.outcome_status,
      ]),
    ).toEqual([
      ['agent', 'POST /v1/transfers', 202],
      ['agent', 'POST /v1/approvals/:id/approve', 403],
      ['agent', 'POST /v1/transfers', 201],
      ['approver', 'POST /v1/approvals/:id/approve', 200],
      ['admin', 'POST /v1/approvals/:id/approve', 409],
    ]);
  });

  it('executes exactly once when approved twice concurrently', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const key = await agent({ limits: [{ currency: 'USD', approval_above: '1.00' }] });
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push(await parked(key.secret, source, vendor, '2.00'));
    for (const id of ids) {
      const both = await Promise.all(
        [0, 1].map(() => t.request({ method: 'POST', url: `/v1/approvals/${id}/approve` })),
      );
      expect(both.map((response) => response.statusCode).sort()).toEqual([200, 409]);
    }
    expect(await transfersFrom(source)).toBe(5);
    expect((await balanceOf(t, vendor)).available).toBe('10.00');
  });

  it('rejects without executing; an approval cannot be decided twice or by its requester', async () => {
    const source = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const key = await agent({ limits: [{ currency: 'USD', approval_above: '1.00' }] }, [
      'transfers:write',
      'approvals:write',
    ]);
    const id = await parked(key.secret, source, vendor, '5.00');
    expectProblem(
      await t.request({ method: 'POST', url: `/v1/approvals/${id}/approve`, key: key.secret }),
      403,
      'key_restricted',
    );
    const rejected = await t.request({ method: 'POST', url: `/v1/approvals/${id}/reject` });
    expect(rejected.json()).toMatchObject({ status: 'rejected', result: null });
    expectProblem(
      await t.request({ method: 'POST', url: `/v1/approvals/${id}/approve` }),
      409,
      'approval_not_pending',
    );
    expect(await transfersFrom(source)).toBe(0);
    const listed = await t.request({
      method: 'GET',
      url: `/v1/approvals?status=rejected&api_key_id=${key.id}`,
    });
    expect(listed.json().data.map((a: { id: string }) => a.id)).toEqual([id]);
  });

  it('records a refusal at execution time as the result, and expires what nobody decided', async () => {
    const source = await funded(t, '10.00');
    const vendor = await newWallet(t);
    const key = await agent({ limits: [{ currency: 'USD', approval_above: '1.00' }] });
    const late = await parked(key.secret, source, vendor, '8.00');
    const poor = await parked(key.secret, source, vendor, '9.00');
    const first = await t.request({ method: 'POST', url: `/v1/approvals/${late}/approve` });
    expect(first.json().result.status).toBe(201);
    const second = await t.request({ method: 'POST', url: `/v1/approvals/${poor}/approve` });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({
      status: 'approved',
      result: { status: 402, body: { code: 'insufficient_funds' } },
    });
    const forgotten = await parked(key.secret, source, vendor, '1.50');
    t.clock.advance(t.config.limits.approval_ttl_s * 1000 + 1);
    expectProblem(
      await t.request({ method: 'POST', url: `/v1/approvals/${forgotten}/approve` }),
      409,
      'approval_expired',
    );
    const task = backgroundTasks(t.config, { log: { info: () => undefined, error: () => undefined } }).find(
      (task) => task.name === 'expire_approvals',
    );
    expect(await task?.run(t.db.pool, t.clock.now(), new AbortController().signal)).toBe(1);
    expect((await t.request({ method: 'GET', url: `/v1/approvals/${forgotten}` })).json()).toMatchObject({
      status: 'expired',
      decided_by: 'system:worker',
    });
    expect(await transfersFrom(source)).toBe(1);
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    expect(await verifyAuditChain(t.db.pool)).toEqual([]);
  });
});
