import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { advanceAndRunJobs } from '../test-support/jobs.js';
import {
  balanceOf,
  expectProblem,
  funded,
  getJson,
  newWallet,
  post,
  postOk,
  usd,
} from '../test-support/money.js';
import { runDueSchedules } from './schedules.js';

let t: TestApp;
let step_ms: number;
beforeAll(async () => {
  t = await createTestApp();
  step_ms = t.config.rails.sandbox_step_ms;
});
afterAll(() => t.close());

const bank = (account_number = '000123456789') => ({
  type: 'bank_account',
  account_holder_name: 'Ada Lovelace',
  account_number,
  routing_number: '110000000',
});

function payout(wallet_id: string, amount: string, destination: Record<string, unknown> = bank()) {
  return post(t, '/v1/payouts', { wallet_id, amount, currency: 'USD', destination });
}

describe('payouts', () => {
  it('take the amount from the wallet at once, go in transit, then paid', async () => {
    const wallet = await funded(t, '100.00');
    const response = await payout(wallet, '60.00');
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      object: 'payout',
      status: 'pending',
      rail: 'bank_account',
      destination: { type: 'bank_account', last4: '6789', account_holder_name: 'Ada Lovelace' },
      failure_code: null,
    });
    expect(JSON.stringify(response.json())).not.toContain('000123456789');
    expect(await balanceOf(t, wallet)).toEqual(usd('40.00'));
    await advanceAndRunJobs(t, 0);
    expect((await getJson(t, `/v1/payouts/${response.json().id}`)).status).toBe('in_transit');
    await advanceAndRunJobs(t, step_ms);
    expect(await getJson(t, `/v1/payouts/${response.json().id}`)).toMatchObject({ status: 'paid' });
    expect(await balanceOf(t, wallet)).toEqual(usd('40.00'));
  });

  it('a failed payout puts the funds back, with the reason', async () => {
    const wallet = await funded(t, '100.00');
    const failed = (await payout(wallet, '30.00', bank('000111111113'))).json();
    await advanceAndRunJobs(t, step_ms);
    expect(await getJson(t, `/v1/payouts/${failed.id}`)).toMatchObject({
      status: 'failed',
      failure_code: 'account_closed',
      failure_message: 'The account is closed.',
    });
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
  });

  it('a returned payout restores the balance exactly once, however often the rail reports it', async () => {
    const wallet = await funded(t, '100.00');
    const sent = (await payout(wallet, '25.00', bank('000333333335'))).json();
    await advanceAndRunJobs(t, step_ms);
    expect((await getJson(t, `/v1/payouts/${sent.id}`)).status).toBe('paid');
    expect(await balanceOf(t, wallet)).toEqual(usd('75.00'));
    await advanceAndRunJobs(t, step_ms);
    expect(await getJson(t, `/v1/payouts/${sent.id}`)).toMatchObject({
      status: 'returned',
      failure_code: 'account_closed',
    });
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
    // The rail reports the return again, concurrently and later: nothing more moves.
    const again = await Promise.all(
      [1, 2, 3].map(() => post(t, `/v1/test_helpers/payouts/${sent.id}/return`)),
    );
    for (const response of again) expect(response.statusCode, response.body).toBe(200);
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
  });

  it('test helpers drive every state; impossible transitions are invalid_state', async () => {
    const wallet = await funded(t, '100.00');
    const a = (await payout(wallet, '10.00')).json();
    expect((await postOk(t, `/v1/test_helpers/payouts/${a.id}/pay`, undefined, 200)).status).toBe('paid');
    expectProblem(await post(t, `/v1/test_helpers/payouts/${a.id}/fail`), 409, 'invalid_state');
    expect(
      (await postOk(t, `/v1/test_helpers/payouts/${a.id}/return`, { failure_code: 'no_account' }, 200))
        .failure_code,
    ).toBe('no_account');
    const b = (await payout(wallet, '10.00')).json();
    expectProblem(await post(t, `/v1/test_helpers/payouts/${b.id}/return`), 409, 'invalid_state');
    expect((await postOk(t, `/v1/test_helpers/payouts/${b.id}/fail`, undefined, 200)).status).toBe('failed');
    await advanceAndRunJobs(t, step_ms);
    expect((await getJson(t, `/v1/payouts/${b.id}`)).status).toBe('failed');
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
  });

  it('cards and crypto addresses', async () => {
    const wallet = await funded(t, '100.00');
    const card = (await payout(wallet, '5.00', { type: 'card', number: '4242424242424242' })).json();
    expect(card).toMatchObject({
      status: 'pending',
      destination: { type: 'card', brand: 'visa', last4: '4242' },
    });
    const declined = (await payout(wallet, '5.00', { type: 'card', number: '4000000000000002' })).json();
    await advanceAndRunJobs(t, step_ms);
    expect((await getJson(t, `/v1/payouts/${card.id}`)).status).toBe('paid');
    expect(await getJson(t, `/v1/payouts/${declined.id}`)).toMatchObject({
      status: 'failed',
      failure_code: 'card_declined',
    });
    expect(await balanceOf(t, wallet)).toEqual(usd('95.00'));
  });

  it('refuses what it cannot pay and bad destinations, writing nothing', async () => {
    const wallet = await funded(t, '10.00');
    expectProblem(await payout(wallet, '10.01'), 402, 'insufficient_funds', 'amount');
    expectProblem(
      await payout(wallet, '1.00', { type: 'bank_account', account_holder_name: 'X' }),
      400,
      'invalid_request',
      'destination',
    );
    expectProblem(
      await payout(wallet, '1.00', { type: 'card', number: '4111111111111111' }),
      400,
      'invalid_request',
      'destination.number',
    );
    expectProblem(
      await payout(wallet, '1.00', {
        type: 'crypto',
        network: 'bitcoin',
        address: 'tb1qexampleexampleexampleexample',
      }),
      400,
      'currency_mismatch',
      'destination.network',
    );
    expectProblem(await payout(wallet, '0'), 400, 'invalid_amount', 'amount');
    expectProblem(
      await post(
        t,
        '/v1/payouts',
        { wallet_id: wallet, amount: '1.00', currency: 'USD', destination: bank() },
        t.live_key,
      ),
      404,
      'resource_not_found',
      'wallet_id',
    );
    expect(await balanceOf(t, wallet)).toEqual(usd('10.00'));
    expect((await getJson(t, `/v1/payouts?wallet_id=${wallet}`)).data).toEqual([]);
  });

  it('concurrent payouts never overdraw the wallet', async () => {
    const wallet = await funded(t, '100.00');
    const responses = await Promise.all(Array.from({ length: 20 }, () => payout(wallet, '10.00')));
    expect(responses.filter((response) => response.statusCode === 201)).toHaveLength(10);
    expect(await balanceOf(t, wallet)).toEqual(usd('0.00'));
  });
});

describe('payout batches', () => {
  it('create each item or report its error, in order', async () => {
    const wallet = await funded(t, '100.00');
    const response = await post(t, '/v1/payout_batches', {
      payouts: [
        { wallet_id: wallet, amount: '40.00', currency: 'USD', destination: bank() },
        { wallet_id: wallet, amount: '70.00', currency: 'USD', destination: bank() },
        { wallet_id: 'wal_missing', amount: '1.00', currency: 'USD', destination: bank() },
        { wallet_id: wallet, amount: '60.00', currency: 'USD', destination: bank('000111111116') },
      ],
    });
    expect(response.statusCode, response.body).toBe(201);
    const batch = response.json();
    expect(batch).toMatchObject({ object: 'payout_batch', created_count: 2, failed_count: 2 });
    expect(batch.items.map((item: { status: string }) => item.status)).toEqual([
      'created',
      'failed',
      'failed',
      'created',
    ]);
    expect(batch.items[1].error).toMatchObject({ code: 'insufficient_funds', param: 'payouts.1.amount' });
    expect(batch.items[2].error).toMatchObject({ code: 'resource_not_found', param: 'payouts.2.wallet_id' });
    expect(await balanceOf(t, wallet)).toEqual(usd('0.00'));
    await advanceAndRunJobs(t, step_ms);
    const later = await getJson(t, `/v1/payout_batches/${batch.id}`);
    const items = later.items as { payout: { status: string } | null }[];
    expect(items.map((item) => item.payout?.status ?? null)).toEqual(['paid', null, null, 'failed']);
    expect(await balanceOf(t, wallet)).toEqual(usd('60.00'));
    const listed = await getJson(t, `/v1/payouts?batch_id=${batch.id}`);
    expect((listed.data as unknown[]).length).toBe(2);
  });
});

describe('payout schedules', () => {
  it('pay out the available balance above the minimum on schedule', async () => {
    const wallet = await funded(t, '80.00');
    const schedule = await postOk(
      t,
      `/v1/wallets/${wallet}/payout_schedule`,
      { interval: 'weekly', anchor: 5, minimum_balance: '20.00', destination: bank() },
      200,
    );
    expect(schedule).toMatchObject({
      object: 'payout_schedule',
      interval: 'weekly',
      anchor: 5,
      minimum_balance: '20.00',
    });
    const next = new Date(schedule.next_run_at as string);
    expect(next.getUTCDay()).toBe(5);
    expect(next.getTime()).toBeGreaterThan(t.clock.now().getTime());
    const run = (at: Date) =>
      runDueSchedules({ pool: t.db.pool, limits: t.config.limits, now: at, rails: t.config.rails }, 100);
    expect(await run(new Date(next.getTime() - 1))).toBe(0);
    expect(await run(next)).toBe(1);
    expect(await run(next)).toBe(0);
    expect(await balanceOf(t, wallet)).toEqual(usd('20.00'));
    const after = await getJson(t, `/v1/wallets/${wallet}/payout_schedule`);
    expect(new Date(after.next_run_at as string).getTime()).toBe(next.getTime() + 7 * 86_400_000);
    const paid = await getJson(t, `/v1/payouts/${after.last_payout_id}`);
    expect(paid).toMatchObject({ amount: '60.00', schedule_id: schedule.id });
  });

  it('a test helper runs it now; nothing to pay makes no payout', async () => {
    const wallet = await funded(t, '10.00');
    await postOk(
      t,
      `/v1/wallets/${wallet}/payout_schedule`,
      { interval: 'daily', minimum_balance: '10.00', destination: bank() },
      200,
    );
    const ran = await postOk(t, `/v1/test_helpers/wallets/${wallet}/run_payout_schedule`, undefined, 200);
    expect(ran.last_payout_id).toBeNull();
    await postOk(
      t,
      `/v1/wallets/${wallet}/payout_schedule`,
      { interval: 'monthly', anchor: 1, destination: bank() },
      200,
    );
    const again = await postOk(t, `/v1/test_helpers/wallets/${wallet}/run_payout_schedule`, undefined, 200);
    expect(again.last_payout_id).not.toBeNull();
    expect(await balanceOf(t, wallet)).toEqual(usd('0.00'));
    expect(
      (await t.request({ method: 'DELETE', url: `/v1/wallets/${wallet}/payout_schedule` })).statusCode,
    ).toBe(200);
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/wallets/${wallet}/payout_schedule` }),
      404,
      'resource_not_found',
    );
  });

  it('screen each payout by the risk rules: a blocked or reviewed one is not made, the decision names the schedule, the next run tries again (second attack, F4)', async () => {
    const wallet = await funded(t, '500.00', 'DKK');
    const rule = await postOk(
      t,
      '/v1/risk_rules',
      {
        name: 'DKK payouts above 200',
        type: 'amount_above',
        action: 'block',
        currency: 'DKK',
        amount: '200.00',
      },
      201,
    );
    const destination = bank();
    expectProblem(
      await post(t, '/v1/payouts', { wallet_id: wallet, amount: '500.00', currency: 'DKK', destination }),
      403,
      'risk_blocked',
    );
    const schedule = await postOk(
      t,
      `/v1/wallets/${wallet}/payout_schedule`,
      { interval: 'daily', destination },
      200,
    );
    const runNow = () => postOk(t, `/v1/test_helpers/wallets/${wallet}/run_payout_schedule`, undefined, 200);
    const decisions = async () =>
      ((await getJson(t, `/v1/risk_decisions?object_id=${schedule.id}`)).data as { action: string }[]).map(
        (decision) => decision.action,
      );

    const blocked = await runNow();
    expect(blocked.last_payout_id).toBeNull();
    expect(new Date(blocked.next_run_at as string).getTime()).toBeGreaterThan(t.clock.now().getTime());
    expect((await balanceOf(t, wallet)).available).toBe('500.00');
    expect(await decisions()).toEqual(['block']);
    expect((await getJson(t, `/v1/payouts?wallet_id=${wallet}`)).data).toEqual([]);

    // A review could only be approved as the key that asked, and none did: it blocks too.
    await postOk(t, `/v1/risk_rules/${rule.id}`, { action: 'review' }, 200);
    const approvals_before = await t.db.pool.query('SELECT count(*)::int AS n FROM approvals');
    expect((await runNow()).last_payout_id).toBeNull();
    expect(await decisions()).toEqual(['review', 'block']);
    expect((await t.db.pool.query('SELECT count(*)::int AS n FROM approvals')).rows[0].n).toBe(
      approvals_before.rows[0].n,
    );
    expect((await balanceOf(t, wallet)).available).toBe('500.00');

    // Within the rules, the next run pays out.
    await postOk(t, `/v1/risk_rules/${rule.id}`, { enabled: false }, 200);
    const paid = await runNow();
    expect(await getJson(t, `/v1/payouts/${paid.last_payout_id}`)).toMatchObject({
      amount: '500.00',
      currency: 'DKK',
      schedule_id: schedule.id,
    });
    expect((await balanceOf(t, wallet)).available).toBe('0.00');
  });

  it('the worker screens them too, each schedule on its own: a blocked one stops no other (second attack, F4)', async () => {
    const large = await funded(t, '500.00', 'DKK');
    const small = await funded(t, '100.00', 'DKK');
    const rule = await postOk(
      t,
      '/v1/risk_rules',
      {
        name: 'DKK payouts above 200',
        type: 'amount_above',
        action: 'block',
        currency: 'DKK',
        amount: '200.00',
      },
      201,
    );
    const schedules = [];
    for (const wallet of [large, small])
      schedules.push(
        await postOk(
          t,
          `/v1/wallets/${wallet}/payout_schedule`,
          { interval: 'daily', destination: bank() },
          200,
        ),
      );
    const due = new Date(schedules[0]?.next_run_at as string);
    await runDueSchedules({ pool: t.db.pool, limits: t.config.limits, now: due, rails: t.config.rails }, 100);
    const [blocked, paid] = await Promise.all(
      [large, small].map((wallet) => getJson(t, `/v1/wallets/${wallet}/payout_schedule`)),
    );
    expect(blocked?.last_payout_id).toBeNull();
    expect(new Date(blocked?.next_run_at as string).getTime()).toBeGreaterThan(due.getTime());
    expect((await balanceOf(t, large)).available).toBe('500.00');
    expect((await getJson(t, `/v1/risk_decisions?object_id=${schedules[0]?.id}`)).data).toMatchObject([
      { rule_id: rule.id, action: 'block', wallet_id: large },
    ]);
    expect(await getJson(t, `/v1/payouts/${paid?.last_payout_id}`)).toMatchObject({ amount: '100.00' });
    expect((await balanceOf(t, small)).available).toBe('0.00');
    await postOk(t, `/v1/risk_rules/${rule.id}`, { enabled: false }, 200);
  });

  it('refuses anchors that do not fit the interval', async () => {
    const wallet = await newWallet(t);
    for (const body of [
      { interval: 'daily', anchor: 1 },
      { interval: 'weekly' },
      { interval: 'weekly', anchor: 8 },
    ]) {
      expectProblem(
        await post(t, `/v1/wallets/${wallet}/payout_schedule`, { ...body, destination: bank() }),
        400,
        'invalid_request',
        'anchor',
      );
    }
  });
});
