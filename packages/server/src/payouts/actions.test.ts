import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { advanceAndRunJobs } from '../test-support/jobs.js';
import { createKey } from '../test-support/keys.js';
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

const debtor = { name: 'Purse Platform Ltd', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' };
let t: TestApp;
let step_ms: number;
beforeAll(async () => {
  t = await createTestApp({}, {}, { bank_debtor: debtor });
  step_ms = t.config.rails.sandbox_step_ms;
});
afterAll(() => t.close());

const bank = (account_number = '000123456789') => ({
  type: 'bank_account',
  account_holder_name: 'Ada Lovelace',
  account_number,
  routing_number: '110000000',
});

async function payout(wallet_id: string, amount: string, destination: Record<string, unknown> = bank()) {
  return postOk(t, '/v1/payouts', { wallet_id, amount, currency: 'USD', destination });
}

const cancel = (id: string, key?: string) => post(t, `/v1/payouts/${id}/cancel`, undefined, key);
const retry = (id: string, key?: string) => post(t, `/v1/payouts/${id}/retry`, undefined, key);

async function eventsOf(id: string, type: string): Promise<number> {
  const found = await t.db.pool.query<{ count: string }>(
    'SELECT count(*)::text AS count FROM events WHERE type = $1 AND object_id = $2',
    [type, id],
  );
  return Number(found.rows[0]?.count ?? '0');
}

async function failedPayout(wallet: string, amount: string): Promise<string> {
  const sent = await payout(wallet, amount);
  await postOk(t, `/v1/test_helpers/payouts/${sent.id}/fail`, { failure_code: 'no_account' }, 200);
  return sent.id;
}

describe('POST /v1/payouts/:id/cancel', () => {
  it('puts the money back once, and later rail reports change nothing', async () => {
    const wallet = await funded(t, '100.00');
    const sent = await payout(wallet, '30.00');
    expect(await balanceOf(t, wallet)).toEqual(usd('70.00'));
    const response = await cancel(sent.id);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ id: sent.id, status: 'canceled', failure_code: null });
    expect(response.json().canceled_at).toBe(t.clock.now().toISOString());
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
    // The sandbox's steps come due (the rail's reports): no-ops. A test helper, asked to move it
    // on, says it is canceled (409), and moves nothing either.
    expect(await advanceAndRunJobs(t, 3 * step_ms)).toBeGreaterThan(0);
    expect((await getJson(t, `/v1/payouts/${sent.id}`)).status).toBe('canceled');
    for (const step of ['in_transit', 'pay', 'fail', 'return'])
      expectProblem(await post(t, `/v1/test_helpers/payouts/${sent.id}/${step}`), 409, 'invalid_state');
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
    expect(await eventsOf(sent.id, 'payout.canceled')).toBe(1);
  });

  it('twice: the second is 409 invalid_state, and an Idempotency-Key replays the first', async () => {
    const wallet = await funded(t, '100.00');
    const sent = await payout(wallet, '30.00');
    const headers = { 'idempotency-key': `cancel-${sent.id}` };
    const first = await t.request({ method: 'POST', url: `/v1/payouts/${sent.id}/cancel`, headers });
    expect(first.statusCode, first.body).toBe(200);
    const replay = await t.request({ method: 'POST', url: `/v1/payouts/${sent.id}/cancel`, headers });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expectProblem(await cancel(sent.id), 409, 'invalid_state');
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
  });

  it('after the rail has it (in transit, paid, failed), 409 with balances unchanged', async () => {
    const wallet = await funded(t, '100.00');
    const moving = await payout(wallet, '10.00');
    const paid = await payout(wallet, '10.00');
    await advanceAndRunJobs(t, 0);
    await postOk(t, `/v1/test_helpers/payouts/${paid.id}/pay`, undefined, 200);
    const failed = await failedPayout(wallet, '10.00');
    const before = await balanceOf(t, wallet);
    expect(before).toEqual(usd('80.00'));
    for (const id of [moving.id, paid.id, failed]) {
      const refused = await cancel(id);
      expectProblem(refused, 409, 'invalid_state');
      expect(refused.json().detail).toContain('cannot be canceled');
    }
    expect(await balanceOf(t, wallet)).toEqual(before);
    expect((await getJson(t, `/v1/payouts/${moving.id}`)).status).toBe('in_transit');
    expectProblem(await cancel('po_missing'), 404, 'resource_not_found', 'id');
  });

  it('raced by a rail failure: the money comes back once, whoever wins', async () => {
    const wallet = await funded(t, '100.00');
    const sent = await Promise.all(Array.from({ length: 8 }, () => payout(wallet, '10.00')));
    expect(await balanceOf(t, wallet)).toEqual(usd('20.00'));
    const outcomes = await Promise.all(
      sent.map(async ({ id }) => {
        const [canceled, failed] = await Promise.all([
          cancel(id),
          post(t, `/v1/test_helpers/payouts/${id}/fail`, { failure_code: 'no_account' }),
        ]);
        const status = (await getJson(t, `/v1/payouts/${id}`)).status;
        // Exactly one wins; the loser is told (409) and changed nothing.
        expect([canceled.statusCode, failed.statusCode].sort()).toEqual([200, 409]);
        expect(canceled.statusCode === 200 ? 'canceled' : 'failed').toBe(status);
        return status;
      }),
    );
    expect(outcomes.every((status) => status === 'canceled' || status === 'failed')).toBe(true);
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
  });

  it('of a converted payout reverses its conversion, as a failure does', async () => {
    await postOk(t, '/v1/fx_rates', { base: 'EUR', quote: 'USD', rate: '1.0842' });
    const wallet = await funded(t, '500.00', 'EUR');
    const quote = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      target_amount: '50.00',
    });
    const body = {
      wallet_id: wallet,
      amount: '50.00',
      currency: 'USD',
      destination: bank(),
      quote_id: quote.id,
    };
    const sent = await postOk(t, '/v1/payouts', body);
    const response = await cancel(sent.id);
    expect(response.statusCode, response.body).toBe(200);
    expect((await balanceOf(t, wallet)).available).toBe('500.00');
    expect((await getJson(t, `/v1/conversions/${sent.conversion_id}`)).status).toBe('reversed');
    // A converted payout is not retried at its old quote's rate.
    const failed = await postOk(t, '/v1/fx_quotes', {
      source_currency: 'EUR',
      target_currency: 'USD',
      target_amount: '10.00',
    });
    const other = await postOk(t, '/v1/payouts', { ...body, amount: '10.00', quote_id: failed.id });
    await postOk(t, `/v1/test_helpers/payouts/${other.id}/fail`, undefined, 200);
    expectProblem(await retry(other.id), 409, 'invalid_state');
  });

  it('live bank-file payouts: until they are in a pain.001 file, not after', async () => {
    const live = async (url: string, payload: Record<string, unknown> | undefined, status: number) => {
      const response = await t.request({
        method: 'POST',
        url,
        key: t.live_key,
        ...(payload ? { payload } : {}),
      });
      expect(response.statusCode, response.body).toBe(status);
      return response;
    };
    const platform = (await live('/v1/wallets', { currency: 'EUR', overdraft_limit: '1000.00' }, 201)).json()
      .id;
    const seller = (await live('/v1/wallets', { currency: 'EUR' }, 201)).json().id;
    const move = {
      source_wallet_id: platform,
      destination_wallet_id: seller,
      amount: '300.00',
      currency: 'EUR',
    };
    await live('/v1/transfers', move, 201);
    const destination = {
      type: 'bank_account',
      account_holder_name: 'Ada Lovelace',
      iban: 'FR1420041010050500013M02606',
    };
    const pay = { wallet_id: seller, amount: '100.00', currency: 'EUR', destination };
    const kept = (await live('/v1/payouts', pay, 201)).json();
    const dropped = (await live('/v1/payouts', pay, 201)).json();
    expect(dropped).toMatchObject({ status: 'pending', rail: 'bank_file', file_id: null });
    expect((await live(`/v1/payouts/${dropped.id}/cancel`, undefined, 200)).json().status).toBe('canceled');
    const file = (await live('/v1/payout_files', { currency: 'EUR' }, 201)).json();
    expect(file).toMatchObject({ payout_count: 1, total_amount: '100.00' });
    const balance = async () =>
      (await t.request({ method: 'GET', url: `/v1/wallets/${seller}`, key: t.live_key })).json().balance
        .available;
    expect(await balance()).toBe('200.00');
    const refused = await t.request({
      method: 'POST',
      url: `/v1/payouts/${kept.id}/cancel`,
      key: t.live_key,
    });
    expectProblem(refused, 409, 'invalid_state');
    expect(await balance()).toBe('200.00');
    const filed = (await t.request({ method: 'GET', url: `/v1/payouts/${kept.id}`, key: t.live_key })).json();
    expect(filed).toMatchObject({ status: 'in_transit', file_id: file.id });
  });

  it('raced by a pain.001 filing: each payout is either canceled or filed, never both', async () => {
    const live = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      t.request({ method, url, key: t.live_key, ...(payload ? { payload } : {}) });
    const platform = (
      await live('POST', '/v1/wallets', { currency: 'EUR', overdraft_limit: '1000.00' })
    ).json().id;
    const seller = (await live('POST', '/v1/wallets', { currency: 'EUR' })).json().id;
    await live('POST', '/v1/transfers', {
      source_wallet_id: platform,
      destination_wallet_id: seller,
      amount: '100.00',
      currency: 'EUR',
    });
    const destination = {
      type: 'bank_account',
      account_holder_name: 'Ada Lovelace',
      iban: 'FR1420041010050500013M02606',
    };
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push(
        (
          await live('POST', '/v1/payouts', {
            wallet_id: seller,
            amount: '10.00',
            currency: 'EUR',
            destination,
          })
        ).json().id,
      );
    const [file, ...cancels] = await Promise.all([
      live('POST', '/v1/payout_files', { currency: 'EUR' }),
      ...ids.map((id) => live('POST', `/v1/payouts/${id}/cancel`)),
    ]);
    const statuses = await Promise.all(
      ids.map(async (id) => (await live('GET', `/v1/payouts/${id}`)).json()),
    );
    for (const [index, response] of cancels.entries()) {
      const payout = statuses[index];
      if (response.statusCode === 200) expect(payout).toMatchObject({ status: 'canceled', file_id: null });
      else {
        expectProblem(response, 409, 'invalid_state');
        expect(payout).toMatchObject({ status: 'in_transit', file_id: file?.json().id });
      }
    }
    const filed = statuses.filter((payout) => payout.status === 'in_transit').length;
    expect(file?.statusCode === 201 ? file.json().payout_count : 0).toBe(filed);
    const balance = (await live('GET', `/v1/wallets/${seller}`)).json().balance.available;
    expect(balance).toBe(`${100 - 10 * filed}.00`);
  });

  it('EVM payouts: not once their transaction is signed', async () => {
    const wallet = await funded(t, '1.00', 'ETH');
    const address = '0x52908400098527886E0F7030069857D2E4169EE7';
    const body = {
      wallet_id: wallet,
      amount: '0.1',
      currency: 'ETH',
      destination: { type: 'crypto', network: 'ethereum', address },
    };
    const signed = await postOk(t, '/v1/payouts', body);
    expect(signed).toMatchObject({ status: 'pending', rail: 'crypto' });
    // What the EVM rail's signer stores, under the payout's row lock, before it broadcasts.
    const sender = '0x0000000000000000000000000000000000000001';
    await t.db.pool.query(
      'INSERT INTO evm_senders (address, next_nonce) VALUES ($1, 1) ON CONFLICT DO NOTHING',
      [sender],
    );
    await t.db.pool.query(
      `INSERT INTO evm_transactions (id, network, livemode, sender, nonce, purpose, reference_id, asset, amount,
         tx_hash, raw, status, created_at, updated_at)
       VALUES ('evmtx_test', 'ethereum', false, $1, 0, 'payout', $2, 'ETH', 100000000000000000, '0xabc', '0x', 'signed', now(), now())`,
      [sender, signed.id],
    );
    const refused = await cancel(signed.id);
    expectProblem(refused, 409, 'invalid_state');
    expect(refused.json().detail).toContain('signed');
    expect((await balanceOf(t, wallet)).available).toBe('0.900000000000000000');
    await t.db.pool.query("DELETE FROM evm_transactions WHERE id = 'evmtx_test'");
    expect((await cancel(signed.id)).statusCode).toBe(200);
  });

  it('by a restricted key: its own wallet only; another wallet is 404', async () => {
    const wallet = await funded(t, '100.00');
    const sent = await payout(wallet, '10.00');
    const stranger = await createKey(t, {
      scopes: ['payouts:write'],
      restrictions: { wallet_ids: [await newWallet(t)] },
    });
    const own = await createKey(t, { scopes: ['payouts:write'], restrictions: { wallet_ids: [wallet] } });
    expectProblem(await cancel(sent.id, stranger.secret), 404, 'resource_not_found');
    expect((await cancel(sent.id, own.secret)).statusCode).toBe(200);
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
  });
});

describe('POST /v1/payouts/:id/retry', () => {
  it('pays a failed payout again as a new payout, linked both ways; a second retry is 409', async () => {
    const wallet = await funded(t, '100.00');
    const failed = await failedPayout(wallet, '40.00');
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
    const response = await retry(failed);
    expect(response.statusCode, response.body).toBe(201);
    const again = response.json();
    expect(again).toMatchObject({
      status: 'pending',
      wallet_id: wallet,
      amount: '40.00',
      currency: 'USD',
      retry_of: failed,
      retried_by: null,
      destination: { type: 'bank_account', last4: '6789', account_holder_name: 'Ada Lovelace' },
    });
    expect(again.id).not.toBe(failed);
    expect(await getJson(t, `/v1/payouts/${failed}`)).toMatchObject({
      status: 'failed',
      retried_by: again.id,
    });
    expect(await balanceOf(t, wallet)).toEqual(usd('60.00'));
    await advanceAndRunJobs(t, step_ms);
    expect((await getJson(t, `/v1/payouts/${again.id}`)).status).toBe('paid');
    const second = await retry(failed);
    expectProblem(second, 409, 'invalid_state');
    expect(second.json().detail).toContain(`already retried by ${again.id}`);
    expect(await balanceOf(t, wallet)).toEqual(usd('60.00'));
  });

  it('replays under its Idempotency-Key: one new payout', async () => {
    const wallet = await funded(t, '100.00');
    const failed = await failedPayout(wallet, '10.00');
    const send = () =>
      t.request({
        method: 'POST',
        url: `/v1/payouts/${failed}/retry`,
        headers: { 'idempotency-key': `retry-${failed}` },
      });
    const first = await send();
    expect(first.statusCode, first.body).toBe(201);
    const replay = await send();
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(first.json().id);
    expect(await balanceOf(t, wallet)).toEqual(usd('90.00'));
  });

  it('retries a returned payout to the stored destination; concurrent retries make one payout', async () => {
    const wallet = await funded(t, '100.00');
    const sent = await payout(wallet, '25.00', bank('000333333335'));
    await advanceAndRunJobs(t, step_ms);
    await advanceAndRunJobs(t, step_ms);
    expect((await getJson(t, `/v1/payouts/${sent.id}`)).status).toBe('returned');
    const responses = await Promise.all([1, 2, 3].map(() => retry(sent.id)));
    const made = responses.filter((response) => response.statusCode === 201);
    expect(made).toHaveLength(1);
    for (const response of responses.filter((r) => r.statusCode !== 201))
      expect([409]).toContain(response.statusCode);
    expect(made[0]?.json().destination.last4).toBe('3335');
    expect(await balanceOf(t, wallet)).toEqual(usd('75.00'));
  });

  it('refuses what is not failed or returned, and a wallet that cannot pay, changing nothing', async () => {
    const wallet = await funded(t, '100.00');
    const pending = await payout(wallet, '10.00');
    expectProblem(await retry(pending.id), 409, 'invalid_state');
    await cancel(pending.id);
    expectProblem(await retry(pending.id), 409, 'invalid_state');
    const failed = await failedPayout(wallet, '80.00');
    await payout(wallet, '50.00');
    const poor = await retry(failed);
    expectProblem(poor, 402, 'insufficient_funds');
    expect(await getJson(t, `/v1/payouts/${failed}`)).toMatchObject({ retried_by: null });
    expect(await balanceOf(t, wallet)).toEqual(usd('50.00'));
    expectProblem(await retry('po_missing'), 404, 'resource_not_found', 'id');
  });

  it('goes through the guard: restricted keys see only their wallets, policy keys their limits', async () => {
    const wallet = await funded(t, '100.00');
    const failed = await failedPayout(wallet, '10.00');
    const stranger = await createKey(t, {
      scopes: ['payouts:write'],
      restrictions: { wallet_ids: [await newWallet(t)] },
    });
    expectProblem(await retry(failed, stranger.secret), 404, 'resource_not_found');
    const small = await createKey(t, {
      scopes: ['payouts:write'],
      spend_policy: { limits: [{ currency: 'USD', per_movement_max: '5.00' }] },
    });
    expectProblem(await retry(failed, small.secret), 403, 'spend_limit_exceeded', 'per_movement_max');
    const careful = await createKey(t, {
      scopes: ['payouts:write'],
      spend_policy: { limits: [{ currency: 'USD', approval_above: '1.00' }] },
    });
    const parked = await retry(failed, careful.secret);
    expect(parked.statusCode, parked.body).toBe(202);
    expect(parked.json().object).toBe('approval');
    expect(await getJson(t, `/v1/payouts/${failed}`)).toMatchObject({ retried_by: null });
    expect(await balanceOf(t, wallet)).toEqual(usd('100.00'));
    // Approved, the stored request runs as the retry, once.
    const approved = await post(t, `/v1/approvals/${parked.json().id}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().result).toMatchObject({
      status: 201,
      body: { object: 'payout', retry_of: failed },
    });
    expect(await getJson(t, `/v1/payouts/${failed}`)).toMatchObject({
      retried_by: approved.json().result.body.id,
    });
    expect(await balanceOf(t, wallet)).toEqual(usd('90.00'));
    const own = await createKey(t, { scopes: ['payouts:write'], restrictions: { wallet_ids: [wallet] } });
    expectProblem(await retry(failed, own.secret), 409, 'invalid_state');
    expect(await balanceOf(t, wallet)).toEqual(usd('90.00'));
  });
});
