import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, fund, newWallet, transfer, usd } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const zero_usd = { available: '0.00', held: '0.00', pending: '0.00', total: '0.00' };

async function newHolder(name = 'Ada'): Promise<string> {
  const response = await t.request({ method: 'POST', url: '/v1/holders', payload: { name } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id as string;
}

function post(url: string, payload?: Record<string, unknown>) {
  return t.request({ method: 'POST', url, ...(payload === undefined ? {} : { payload }) });
}

function get(url: string) {
  return t.request({ method: 'GET', url });
}

async function walletCount(): Promise<number> {
  const result = await t.db.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM accounts WHERE kind = 'wallet'",
  );
  return Number(result.rows[0]?.n);
}

describe('creating wallets', () => {
  it('creates a holder wallet with holder_id', async () => {
    const holder = await newHolder();
    const response = await post('/v1/wallets', {
      currency: 'USD',
      holder_id: holder,
      metadata: { purpose: 'main' },
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^wal_[0-9a-z]{26}$/),
      object: 'wallet',
      livemode: false,
      currency: 'USD',
      holder_id: holder,
      status: 'active',
      overdraft_limit: '0.00',
      balance: zero_usd,
      settlement_delay_days: 0,
      metadata: { purpose: 'main' },
      created_at: t.clock.now().toISOString(),
    });
    const row = await t.db.pool.query('SELECT holder_id, kind, floor_minor FROM accounts WHERE id = $1', [
      body.id,
    ]);
    expect(row.rows).toEqual([{ holder_id: holder, kind: 'wallet', floor_minor: '0' }]);
  });

  it('creates a platform wallet without holder_id', async () => {
    const response = await post('/v1/wallets', { currency: 'EUR' });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      object: 'wallet',
      currency: 'EUR',
      holder_id: null,
      status: 'active',
      overdraft_limit: '0.00',
      balance: zero_usd,
      metadata: {},
    });
  });

  it('refuses an unknown holder with 404 naming holder_id, and creates nothing', async () => {
    const before = await walletCount();
    const response = await post('/v1/wallets', {
      currency: 'USD',
      holder_id: 'hol_01jd0w3n3w8m5t5vq6fz1y2k3h',
    });
    expectProblem(response, 404, 'resource_not_found', 'holder_id');
    expect(await walletCount()).toBe(before);
  });

  it('refuses a holder of the other mode', async () => {
    const live_holder = await t.request({
      method: 'POST',
      url: '/v1/holders',
      payload: { name: 'Live' },
      key: t.live_key,
    });
    expect(live_holder.statusCode, live_holder.body).toBe(201);
    const response = await post('/v1/wallets', { currency: 'USD', holder_id: live_holder.json().id });
    expectProblem(response, 404, 'resource_not_found', 'holder_id');
  });

  it('refuses an unknown currency with 400 asset_not_found naming currency', async () => {
    const before = await walletCount();
    expectProblem(await post('/v1/wallets', { currency: 'XYZ' }), 400, 'asset_not_found', 'currency');
    expect(await walletCount()).toBe(before);
  });

  it('refuses an overdraft_limit on a holder wallet', async () => {
    const holder = await newHolder();
    const before = await walletCount();
    const response = await post('/v1/wallets', {
      currency: 'USD',
      holder_id: holder,
      overdraft_limit: '10.00',
    });
    expectProblem(response, 400, 'invalid_request', 'overdraft_limit');
    expect(await walletCount()).toBe(before);
  });

  it('accepts a zero overdraft_limit on a platform wallet, written as the API shows it', async () => {
    // Every wallet shows overdraft_limit "0.00"; sending that value back (or "0") means "no overdraft".
    for (const overdraft_limit of ['0', '0.00']) {
      const response = await post('/v1/wallets', { currency: 'USD', overdraft_limit });
      expect(response.statusCode, `${overdraft_limit}: ${response.body}`).toBe(201);
      expect(response.json().overdraft_limit).toBe('0.00');
    }
  });

  it('refuses an overdraft_limit with too many decimals', async () => {
    const response = await post('/v1/wallets', { currency: 'USD', overdraft_limit: '1.001' });
    expectProblem(response, 400, 'invalid_amount', 'overdraft_limit');
  });
});

describe('retrieving wallets', () => {
  it('shows balances as strings with the asset scale', async () => {
    const usd_wallet = await newWallet(t, 'USD');
    const jpy_wallet = await newWallet(t, 'JPY');
    const eth_wallet = await newWallet(t, 'ETH');
    const usd_body = (await get(`/v1/wallets/${usd_wallet}`)).json();
    expect(usd_body.balance).toEqual(zero_usd);
    expect(usd_body.overdraft_limit).toBe('0.00');
    const jpy_body = (await get(`/v1/wallets/${jpy_wallet}`)).json();
    expect(jpy_body.balance).toEqual({ available: '0', held: '0', pending: '0', total: '0' });
    expect(jpy_body.overdraft_limit).toBe('0');
    const eth_zero = '0.000000000000000000';
    const eth_body = (await get(`/v1/wallets/${eth_wallet}`)).json();
    expect(eth_body.balance).toEqual({
      available: eth_zero,
      held: eth_zero,
      pending: eth_zero,
      total: eth_zero,
    });

    await fund(t, usd_wallet, '12.3', 'USD');
    await fund(t, jpy_wallet, '1500', 'JPY');
    await fund(t, eth_wallet, '1.000000000000000001', 'ETH');
    expect(await balanceOf(t, usd_wallet)).toEqual(usd('12.30'));
    expect(await balanceOf(t, jpy_wallet)).toEqual({
      available: '1500',
      held: '0',
      pending: '0',
      total: '1500',
    });
    expect(await balanceOf(t, eth_wallet)).toEqual({
      available: '1.000000000000000001',
      held: eth_zero,
      pending: eth_zero,
      total: '1.000000000000000001',
    });
  });

  it('is 404 for an unknown id', async () => {
    expectProblem(await get('/v1/wallets/wal_01jd0w3n3w8m5t5vq6fz1y2k3h'), 404, 'resource_not_found');
  });

  it('hides a live-mode wallet from the test key', async () => {
    const live = await newWallet(t, 'USD', {}, t.live_key);
    const as_live = await t.request({ method: 'GET', url: `/v1/wallets/${live}`, key: t.live_key });
    expect(as_live.statusCode, as_live.body).toBe(200);
    expect(as_live.json()).toMatchObject({ id: live, livemode: true });
    expectProblem(await get(`/v1/wallets/${live}`), 404, 'resource_not_found');
    expectProblem(await get(`/v1/wallets/${live}/transactions`), 404, 'resource_not_found');
    expectProblem(await get(`/v1/wallets/${live}/balance`), 404, 'resource_not_found');
    expectProblem(
      await get(`/v1/wallets/${live}/statement?from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`),
      404,
      'resource_not_found',
    );
    expectProblem(await post(`/v1/wallets/${live}/freeze`), 404, 'resource_not_found');
    const listed = (await get('/v1/wallets?limit=100')).json();
    expect(listed.data.map((w: { id: string }) => w.id)).not.toContain(live);
    const status = await t.db.pool.query('SELECT status FROM accounts WHERE id = $1', [live]);
    expect(status.rows).toEqual([{ status: 'active' }]);
  });
});

describe('listing wallets', () => {
  it('filters by holder_id, currency and status, and pages newest first', async () => {
    const holder = await newHolder('Lister');
    const other = await newHolder('Other');
    const w1 = await newWallet(t, 'USD', { holder_id: holder });
    t.clock.advance(10);
    const w2 = await newWallet(t, 'EUR', { holder_id: holder });
    t.clock.advance(10);
    const w3 = await newWallet(t, 'USD', { holder_id: holder });
    t.clock.advance(10);
    const w4 = await newWallet(t, 'USD', { holder_id: other });
    expect((await post(`/v1/wallets/${w3}/freeze`)).statusCode).toBe(200);

    const ids = (response: LightMyRequestResponse) => {
      expect(response.statusCode, response.body).toBe(200);
      return response.json().data.map((w: { id: string }) => w.id);
    };
    expect(ids(await get(`/v1/wallets?holder_id=${holder}`))).toEqual([w3, w2, w1]);
    expect(ids(await get(`/v1/wallets?holder_id=${other}`))).toEqual([w4]);
    expect(ids(await get(`/v1/wallets?holder_id=${holder}&currency=USD`))).toEqual([w3, w1]);
    expect(ids(await get(`/v1/wallets?holder_id=${holder}&currency=EUR`))).toEqual([w2]);
    expect(ids(await get(`/v1/wallets?holder_id=${holder}&status=frozen`))).toEqual([w3]);
    expect(ids(await get(`/v1/wallets?holder_id=${holder}&status=active&currency=USD`))).toEqual([w1]);
    expect(ids(await get(`/v1/wallets?holder_id=${holder}&status=closed`))).toEqual([]);

    const all_eur = (await get('/v1/wallets?currency=EUR&limit=100')).json();
    expect(all_eur.data.length).toBeGreaterThan(0);
    for (const wallet of all_eur.data) expect(wallet.currency).toBe('EUR');
    const all_frozen = (await get('/v1/wallets?status=frozen&limit=100')).json();
    expect(all_frozen.data.map((w: { id: string }) => w.id)).toEqual([w3]);

    const first = await get(`/v1/wallets?holder_id=${holder}&limit=2`);
    expect(first.json()).toMatchObject({ object: 'list', has_more: true });
    expect(ids(first)).toEqual([w3, w2]);
    const second = await get(`/v1/wallets?holder_id=${holder}&limit=2&starting_after=${w2}`);
    expect(ids(second)).toEqual([w1]);
    expect(second.json().has_more).toBe(false);
    const back = await get(`/v1/wallets?holder_id=${holder}&limit=2&ending_before=${w1}`);
    expect(ids(back)).toEqual([w3, w2]);
    expect(back.json().has_more).toBe(false);

    expectProblem(await get('/v1/wallets?limit=0'), 400, 'invalid_request', 'limit');
    expectProblem(await get('/v1/wallets?limit=101'), 400, 'invalid_request', 'limit');
    expectProblem(await get('/v1/wallets?status=deleted'), 400, 'invalid_request', 'status');
    expectProblem(
      await get('/v1/wallets?starting_after=tr_01jd0w3n3w8m5t5vq6fz1y2k3h'),
      400,
      'invalid_cursor',
      'starting_after',
    );
  });
});

describe('freezing', () => {
  it('blocks transfers from and to a frozen wallet until it is unfrozen', async () => {
    const [a, b, c] = [await newWallet(t), await newWallet(t), await newWallet(t)];
    await fund(t, a, '50.00');
    await fund(t, c, '50.00');
    const frozen = await post(`/v1/wallets/${a}/freeze`);
    expect(frozen.statusCode, frozen.body).toBe(200);
    expect(frozen.json()).toMatchObject({ id: a, status: 'frozen', balance: usd('50.00') });
    expect((await get(`/v1/wallets/${a}`)).json().status).toBe('frozen');

    const from = await transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '1.00' });
    expectProblem(from, 409, 'wallet_frozen', 'source_wallet_id');
    const to = await transfer(t, { source_wallet_id: c, destination_wallet_id: a, amount: '1.00' });
    expectProblem(to, 409, 'wallet_frozen', 'destination_wallet_id');
    const payment = await post('/v1/payments', {
      wallet_id: a,
      amount: '1.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    });
    expectProblem(payment, 409, 'wallet_frozen', 'wallet_id');
    expect(await balanceOf(t, a)).toEqual(usd('50.00'));
    expect(await balanceOf(t, b)).toEqual(zero_usd);
    expect(await balanceOf(t, c)).toEqual(usd('50.00'));

    const unfrozen = await post(`/v1/wallets/${a}/unfreeze`);
    expect(unfrozen.statusCode, unfrozen.body).toBe(200);
    expect(unfrozen.json().status).toBe('active');
    expect(
      (await transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '1.00' })).statusCode,
    ).toBe(201);
    expect(
      (await transfer(t, { source_wallet_id: c, destination_wallet_id: a, amount: '2.00' })).statusCode,
    ).toBe(201);
    expect(await balanceOf(t, a)).toEqual(usd('51.00'));
    expect(await balanceOf(t, b)).toEqual(usd('1.00'));
    expect(await balanceOf(t, c)).toEqual(usd('48.00'));
  });

  it('still voids a hold from a frozen wallet, but does not capture it', async () => {
    const [a, b] = [await newWallet(t), await newWallet(t)];
    await fund(t, a, '20.00');
    const hold = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '15.00',
      hold: true,
    });
    expect(hold.statusCode, hold.body).toBe(201);
    const hold_id = hold.json().id as string;
    expect((await post(`/v1/wallets/${a}/freeze`)).statusCode).toBe(200);

    const capture = await post(`/v1/transfers/${hold_id}/capture`);
    expectProblem(capture, 409, 'wallet_frozen', undefined);
    expect((await get(`/v1/transfers/${hold_id}`)).json().status).toBe('pending');
    expect(await balanceOf(t, a)).toEqual(usd('5.00', '15.00', '0.00', '20.00'));

    const voided = await post(`/v1/transfers/${hold_id}/void`);
    expect(voided.statusCode, voided.body).toBe(200);
    expect(voided.json().status).toBe('voided');
    expect(await balanceOf(t, a)).toEqual(usd('20.00'));
    expect(await balanceOf(t, b)).toEqual(zero_usd);
    expect((await get(`/v1/wallets/${a}`)).json().status).toBe('frozen');
  });

  it('still voids a hold into a frozen wallet', async () => {
    const [a, b] = [await newWallet(t), await newWallet(t)];
    await fund(t, a, '20.00');
    const hold = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '7.00',
      hold: true,
    });
    expect(hold.statusCode, hold.body).toBe(201);
    expect((await post(`/v1/wallets/${b}/freeze`)).statusCode).toBe(200);
    expect(await balanceOf(t, b)).toEqual(usd('0.00', '0.00', '7.00', '7.00'));
    const voided = await post(`/v1/transfers/${hold.json().id}/void`);
    expect(voided.statusCode, voided.body).toBe(200);
    expect(await balanceOf(t, a)).toEqual(usd('20.00'));
    expect(await balanceOf(t, b)).toEqual(zero_usd);
  });

  it('is 404 for an unknown wallet', async () => {
    expectProblem(await post('/v1/wallets/wal_01jd0w3n3w8m5t5vq6fz1y2k3h/freeze'), 404, 'resource_not_found');
  });
});

describe('closing', () => {
  it('refuses to close a wallet with funds, closes it at zero, and then it is final', async () => {
    const [a, b, c] = [await newWallet(t), await newWallet(t), await newWallet(t)];
    await fund(t, a, '10.00');
    await fund(t, c, '10.00');
    const refused = await post(`/v1/wallets/${a}/close`);
    expectProblem(refused, 409, 'wallet_not_empty', undefined);
    expect((await get(`/v1/wallets/${a}`)).json().status).toBe('active');

    expect(
      (await transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '10.00' })).statusCode,
    ).toBe(201);
    const closed = await post(`/v1/wallets/${a}/close`);
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ id: a, status: 'closed', balance: zero_usd });
    expect((await get(`/v1/wallets/${a}`)).json().status).toBe('closed');

    const to = await transfer(t, { source_wallet_id: c, destination_wallet_id: a, amount: '1.00' });
    expectProblem(to, 409, 'wallet_closed', 'destination_wallet_id');
    expect(await balanceOf(t, c)).toEqual(usd('10.00'));
    expect(await balanceOf(t, a)).toEqual(zero_usd);

    expectProblem(await post(`/v1/wallets/${a}/unfreeze`), 409, 'wallet_closed', undefined);
    expectProblem(await post(`/v1/wallets/${a}/freeze`), 409, 'wallet_closed', undefined);
    expectProblem(await post(`/v1/wallets/${a}/close`), 409, 'wallet_closed', undefined);
    expect((await get(`/v1/wallets/${a}`)).json().status).toBe('closed');
  });

  it('refuses to close a wallet with a hold out or money incoming', async () => {
    const [a, b] = [await newWallet(t), await newWallet(t)];
    await fund(t, a, '10.00');
    const hold = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '10.00',
      hold: true,
    });
    expect(hold.statusCode, hold.body).toBe(201);
    expect(await balanceOf(t, a)).toEqual(usd('0.00', '10.00', '0.00', '10.00'));
    expectProblem(await post(`/v1/wallets/${a}/close`), 409, 'wallet_not_empty', undefined);
    expectProblem(await post(`/v1/wallets/${b}/close`), 409, 'wallet_not_empty', undefined);
    expect((await post(`/v1/transfers/${hold.json().id}/void`)).statusCode).toBe(200);
    expect((await post(`/v1/wallets/${b}/close`)).statusCode).toBe(200);
  });

  it('closes a never-used wallet', async () => {
    const a = await newWallet(t, 'JPY');
    const closed = await post(`/v1/wallets/${a}/close`);
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json().status).toBe('closed');
  });
});

describe('platform overdraft', () => {
  it('lets a platform wallet go down to minus its overdraft limit and not beyond', async () => {
    const created = await post('/v1/wallets', { currency: 'USD', overdraft_limit: '50.00' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ holder_id: null, overdraft_limit: '50.00', balance: zero_usd });
    const platform = created.json().id as string;
    const user = await newWallet(t, 'USD', { holder_id: await newHolder() });

    expect(
      (await transfer(t, { source_wallet_id: platform, destination_wallet_id: user, amount: '30.00' }))
        .statusCode,
    ).toBe(201);
    expect(await balanceOf(t, platform)).toEqual(usd('-30.00'));
    const too_much = await transfer(t, {
      source_wallet_id: platform,
      destination_wallet_id: user,
      amount: '20.01',
    });
    expectProblem(too_much, 402, 'insufficient_funds', 'source_wallet_id');
    expect(await balanceOf(t, platform)).toEqual(usd('-30.00'));
    expect(
      (await transfer(t, { source_wallet_id: platform, destination_wallet_id: user, amount: '20.00' }))
        .statusCode,
    ).toBe(201);
    expect(await balanceOf(t, platform)).toEqual(usd('-50.00'));
    const one_cent = await transfer(t, {
      source_wallet_id: platform,
      destination_wallet_id: user,
      amount: '0.01',
    });
    expectProblem(one_cent, 402, 'insufficient_funds', 'source_wallet_id');
    const hold = await transfer(t, {
      source_wallet_id: platform,
      destination_wallet_id: user,
      amount: '0.01',
      hold: true,
    });
    expectProblem(hold, 402, 'insufficient_funds', 'source_wallet_id');
    expect(await balanceOf(t, platform)).toEqual(usd('-50.00'));
    expect(await balanceOf(t, user)).toEqual(usd('50.00'));

    // A holder wallet has no overdraft: it cannot go below zero.
    const other = await newWallet(t);
    const from_user = await transfer(t, {
      source_wallet_id: user,
      destination_wallet_id: other,
      amount: '50.01',
    });
    expectProblem(from_user, 402, 'insufficient_funds', 'source_wallet_id');
  });
});

interface PostingBody {
  id: string;
  object: string;
  wallet_id: string;
  reason: string;
  reference_id: string;
  side: string;
  layer: string;
  release: boolean;
  amount: string;
  currency: string;
  balance_after: { available: string; held: string; pending: string; total: string };
  created_at: string;
}

describe('history', () => {
  let w: string;
  let x: string;
  const times: Date[] = [];
  let payment_id: string;
  let transfer_id: string;
  let hold_id: string;
  let incoming_id: string;

  beforeAll(async () => {
    w = await newWallet(t);
    x = await newWallet(t);
    await fund(t, x, '100.00');
    times.push(t.clock.now()); // 0: wallet exists, no postings
    t.clock.advance(60_000);
    times.push(t.clock.now()); // 1: fund 100.00
    const payment = await post('/v1/payments', {
      wallet_id: w,
      amount: '100.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    });
    expect(payment.statusCode, payment.body).toBe(201);
    payment_id = payment.json().id;
    t.clock.advance(60_000);
    times.push(t.clock.now()); // 2: transfer 30.00 with a 1.00 fee
    const sent = await transfer(t, {
      source_wallet_id: w,
      destination_wallet_id: x,
      amount: '30.00',
      fee: { amount: '1.00' },
    });
    expect(sent.statusCode, sent.body).toBe(201);
    transfer_id = sent.json().id;
    t.clock.advance(60_000);
    times.push(t.clock.now()); // 3: hold 20.00
    const hold = await transfer(t, {
      source_wallet_id: w,
      destination_wallet_id: x,
      amount: '20.00',
      hold: true,
    });
    expect(hold.statusCode, hold.body).toBe(201);
    hold_id = hold.json().id;
    t.clock.advance(60_000);
    times.push(t.clock.now()); // 4: incoming 5.00
    const incoming = await transfer(t, { source_wallet_id: x, destination_wallet_id: w, amount: '5.00' });
    expect(incoming.statusCode, incoming.body).toBe(201);
    incoming_id = incoming.json().id;
    t.clock.advance(60_000);
    times.push(t.clock.now()); // 5: capture 15.00 of the hold
    const captured = await post(`/v1/transfers/${hold_id}/capture`, { amount: '15.00' });
    expect(captured.statusCode, captured.body).toBe(200);
    t.clock.advance(60_000);
  });

  function at(index: number): Date {
    const time = times[index];
    if (time === undefined) throw new Error(`no time ${index}`);
    return time;
  }

  it('lists postings newest first with the balance after each', async () => {
    const response = await get(`/v1/wallets/${w}/transactions`);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.object).toBe('list');
    expect(body.has_more).toBe(false);
    const postings = body.data as PostingBody[];
    const summary = postings.map((p) => ({
      reason: p.reason,
      reference_id: p.reference_id,
      side: p.side,
      layer: p.layer,
      release: p.release,
      amount: p.amount,
      balance_after: p.balance_after,
      created_at: p.created_at,
    }));
    const time = (index: number) => at(index).toISOString();
    expect(summary).toEqual([
      {
        reason: 'transfer.captured',
        reference_id: hold_id,
        side: 'debit',
        layer: 'posted',
        release: false,
        amount: '15.00',
        balance_after: usd('60.00'),
        created_at: time(5),
      },
      {
        reason: 'transfer.captured',
        reference_id: hold_id,
        side: 'debit',
        layer: 'pending',
        release: true,
        amount: '20.00',
        balance_after: usd('75.00'),
        created_at: time(5),
      },
      {
        reason: 'transfer.posted',
        reference_id: incoming_id,
        side: 'credit',
        layer: 'posted',
        release: false,
        amount: '5.00',
        balance_after: usd('55.00', '20.00', '0.00', '75.00'),
        created_at: time(4),
      },
      {
        reason: 'transfer.held',
        reference_id: hold_id,
        side: 'debit',
        layer: 'pending',
        release: false,
        amount: '20.00',
        balance_after: usd('50.00', '20.00', '0.00', '70.00'),
        created_at: time(3),
      },
      {
        reason: 'transfer.posted',
        reference_id: transfer_id,
        side: 'debit',
        layer: 'posted',
        release: false,
        // The destination's 29.00 and the fee's 1.00: one line on the payer (entries.ts, linesOf).
        amount: '30.00',
        balance_after: usd('70.00'),
        created_at: time(2),
      },
      {
        reason: 'payment.succeeded',
        reference_id: payment_id,
        side: 'credit',
        layer: 'posted',
        release: false,
        amount: '100.00',
        balance_after: usd('100.00'),
        created_at: time(1),
      },
    ]);
    for (const p of postings) {
      expect(p).toMatchObject({ object: 'posting', wallet_id: w, currency: 'USD', livemode: false });
      expect(p.id).toMatch(/^pst_/);
    }
    expect(await balanceOf(t, w)).toEqual(usd('60.00'));
  });

  it('pages through postings', async () => {
    const all = ((await get(`/v1/wallets/${w}/transactions?limit=100`)).json().data as PostingBody[]).map(
      (p) => p.id,
    );
    expect(all).toHaveLength(6);
    const first = (await get(`/v1/wallets/${w}/transactions?limit=2`)).json();
    expect(first.has_more).toBe(true);
    expect(first.data.map((p: PostingBody) => p.id)).toEqual(all.slice(0, 2));
    const second = (await get(`/v1/wallets/${w}/transactions?limit=2&starting_after=${all[1]}`)).json();
    expect(second.has_more).toBe(true);
    expect(second.data.map((p: PostingBody) => p.id)).toEqual(all.slice(2, 4));
    const third = (await get(`/v1/wallets/${w}/transactions?limit=2&starting_after=${all[3]}`)).json();
    expect(third.has_more).toBe(false);
    expect(third.data.map((p: PostingBody) => p.id)).toEqual(all.slice(4));
    const back = (await get(`/v1/wallets/${w}/transactions?limit=2&ending_before=${all[4]}`)).json();
    expect(back.data.map((p: PostingBody) => p.id)).toEqual(all.slice(2, 4));
    expect(back.has_more).toBe(true);
    // A posting id names its wallet and its number there: another wallet's, or a made-up one, is
    // not a cursor of this list.
    const other = ((await get(`/v1/wallets/${x}/transactions?limit=1`)).json().data as PostingBody[])[0]?.id;
    expect(other).toMatch(/^pst_[0-9a-z]{26}_[1-9][0-9]*$/);
    for (const cursor of [other, `${all[1]}0000000000000000000`, 'pst_01jd0w3n3w8m5t5vq6fz1y2k3h_1']) {
      expectProblem(
        await get(`/v1/wallets/${w}/transactions?starting_after=${cursor}`),
        400,
        'invalid_cursor',
        'starting_after',
      );
    }
    // A NUL byte is refused before any list reads it.
    const nul = encodeURIComponent(`${all[1]}\u0000`);
    expectProblem(
      await get(`/v1/wallets/${w}/transactions?starting_after=${nul}`),
      400,
      'invalid_request',
      'starting_after',
    );
  });

  it('lists nothing for a wallet without postings, and 404 for an unknown one', async () => {
    const empty = await newWallet(t);
    expect((await get(`/v1/wallets/${empty}/transactions`)).json()).toEqual({
      object: 'list',
      data: [],
      has_more: false,
    });
    expectProblem(
      await get('/v1/wallets/wal_01jd0w3n3w8m5t5vq6fz1y2k3h/transactions'),
      404,
      'resource_not_found',
    );
  });

  it('gives the balance at a point in time', async () => {
    const balance = async (time: Date) => {
      const response = await get(`/v1/wallets/${w}/balance?at=${encodeURIComponent(time.toISOString())}`);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({
        object: 'balance',
        livemode: false,
        wallet_id: w,
        currency: 'USD',
        at: time.toISOString(),
      });
      return { available: body.available, held: body.held, pending: body.pending, total: body.total };
    };
    const justBefore = (index: number, ms: number) => new Date(at(index).getTime() - ms);
    expect(await balance(new Date(at(0).getTime() - 86_400_000))).toEqual(zero_usd);
    expect(await balance(at(0))).toEqual(zero_usd);
    expect(await balance(justBefore(1, 1))).toEqual(zero_usd);
    expect(await balance(at(1))).toEqual(usd('100.00'));
    expect(await balance(justBefore(2, 1))).toEqual(usd('100.00'));
    expect(await balance(at(2))).toEqual(usd('70.00'));
    expect(await balance(at(3))).toEqual(usd('50.00', '20.00', '0.00', '70.00'));
    expect(await balance(justBefore(4, 30_000))).toEqual(usd('50.00', '20.00', '0.00', '70.00'));
    expect(await balance(at(4))).toEqual(usd('55.00', '20.00', '0.00', '75.00'));
    expect(await balance(at(5))).toEqual(usd('60.00'));
    expect(await balance(new Date(at(5).getTime() + 86_400_000))).toEqual(usd('60.00'));

    const now = await get(`/v1/wallets/${w}/balance`);
    expect(now.statusCode, now.body).toBe(200);
    expect(now.json()).toMatchObject({ available: '60.00', total: '60.00', at: t.clock.now().toISOString() });

    // The receiving side of the hold: pending until captured.
    const x_at_3 = (
      await get(`/v1/wallets/${x}/balance?at=${encodeURIComponent(at(3).toISOString())}`)
    ).json();
    expect(x_at_3).toMatchObject({ available: '129.00', held: '0.00', pending: '20.00', total: '149.00' });

    expectProblem(await get(`/v1/wallets/${w}/balance?at=yesterday`), 400, 'invalid_request', 'at');
    expectProblem(await get('/v1/wallets/wal_01jd0w3n3w8m5t5vq6fz1y2k3h/balance'), 404, 'resource_not_found');
  });

  it('exports a CSV statement of the postings in [from, to), oldest first', async () => {
    const from = encodeURIComponent(at(2).toISOString());
    const to = encodeURIComponent(at(4).toISOString());
    const response = await get(`/v1/wallets/${w}/statement?from=${from}&to=${to}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${w}-statement.csv"`);
    const lines = response.body.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'posting_id,created_at,transaction_id,reason,reference_id,side,layer,release,amount,currency,available_after,held_after,pending_after,total_after',
    );
    const rows = lines.slice(1).map((line) => line.split(','));
    expect(rows).toHaveLength(2);
    const postings = (await get(`/v1/wallets/${w}/transactions?limit=100`)).json().data as PostingBody[];
    const oldest_first = [...postings].reverse();
    // Postings 1 and 2 (oldest first, skipping the payment) are the ones at times 2 and 3.
    expect(rows.map((row) => row[0])).toEqual(oldest_first.slice(1, 3).map((p) => p.id));
    expect(rows.map((row) => row.slice(3))).toEqual([
      [
        'transfer.posted',
        transfer_id,
        'debit',
        'posted',
        'false',
        '30.00',
        'USD',
        '70.00',
        '0.00',
        '0.00',
        '70.00',
      ],
      [
        'transfer.held',
        hold_id,
        'debit',
        'pending',
        'false',
        '20.00',
        'USD',
        '50.00',
        '20.00',
        '0.00',
        '70.00',
      ],
    ]);
    expect(rows.map((row) => row[1])).toEqual([at(2).toISOString(), at(3).toISOString()]);

    const whole = await get(
      `/v1/wallets/${w}/statement?from=${encodeURIComponent(at(0).toISOString())}&to=${encodeURIComponent(t.clock.now().toISOString())}`,
    );
    expect(whole.statusCode, whole.body).toBe(200);
    expect(whole.body.trimEnd().split('\n')).toHaveLength(1 + 6);

    const before_any = await get(
      `/v1/wallets/${w}/statement?from=${encodeURIComponent(new Date(at(0).getTime() - 1000).toISOString())}&to=${encodeURIComponent(at(0).toISOString())}`,
    );
    expect(before_any.statusCode, before_any.body).toBe(200);
    expect(before_any.body.trimEnd().split('\n')).toHaveLength(1);

    expectProblem(
      await get(`/v1/wallets/${w}/statement?from=${to}&to=${from}`),
      400,
      'invalid_request',
      'to',
    );
    expectProblem(await get(`/v1/wallets/${w}/statement?from=${from}`), 400, 'invalid_request', 'to');
  });
});

describe('wallets of a sanctions-blocked holder', () => {
  it('do not open until an operator lifts the block: the freeze is not walked around', async () => {
    // A name on the sample sanctions list (packages/server/data/): the holder is created blocked.
    const blocked = await t.request({
      method: 'POST',
      url: '/v1/holders',
      payload: { name: 'Ilya Vortanis' },
    });
    expect(blocked.json()).toMatchObject({ kyc_status: 'rejected', kyc_tier: 0 });
    const holder_id = blocked.json().id;
    const open = () =>
      t.request({ method: 'POST', url: '/v1/wallets', payload: { currency: 'USD', holder_id } });
    const refused = await open();
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'holder_blocked', param: 'holder_id' });
    const lifted = await t.request({
      method: 'POST',
      url: `/v1/holders/${holder_id}`,
      payload: { kyc_status: 'unverified' },
    });
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect((await open()).statusCode).toBe(201);
  });
});
