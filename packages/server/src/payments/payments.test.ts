import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { advanceAndRunJobs } from '../test-support/jobs.js';
import { balanceOf, expectProblem, getJson, newWallet, post, postOk, usd } from '../test-support/money.js';

let t: TestApp;
let step_ms: number;
beforeAll(async () => {
  t = await createTestApp();
  step_ms = t.config.rails.sandbox_step_ms;
});
afterAll(() => t.close());

const card = (number = '4242424242424242') => ({ type: 'card', number });
const bank = (account_number = '000123456789') => ({
  type: 'bank_account',
  account_number,
  routing_number: '110000000',
});

function pay(payload: Record<string, unknown>) {
  return post(t, '/v1/payments', { currency: 'USD', ...payload });
}

describe('card payments', () => {
  it('credits the wallet, the fee and the splits in one entry', async () => {
    const seller = await newWallet(t);
    const partner = await newWallet(t);
    const platform = await newWallet(t);
    const response = await pay({
      wallet_id: seller,
      amount: '100.00',
      source: card(),
      fee: { amount: '10.00', wallet_id: platform },
      splits: [{ wallet_id: partner, percent: '25' }],
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      object: 'payment',
      status: 'succeeded',
      source: { type: 'card', brand: 'visa', last4: '4242' },
      fee: { amount: '10.00', account_id: platform },
      splits: [
        { wallet_id: partner, amount: '22.50' },
        { wallet_id: seller, amount: '67.50' },
      ],
      amount_refunded: '0.00',
      failure_code: null,
    });
    expect(response.json().settled_at).not.toBeNull();
    expect(await balanceOf(t, seller)).toEqual(usd('67.50'));
    expect(await balanceOf(t, partner)).toEqual(usd('22.50'));
    expect(await balanceOf(t, platform)).toEqual(usd('10.00'));
  });

  it('records a declined card as a failed payment and moves no money', async () => {
    const wallet = await newWallet(t);
    for (const [number, code] of [
      ['4000000000000002', 'card_declined'],
      ['4000000000009995', 'card_insufficient_funds'],
    ]) {
      const response = await pay({ wallet_id: wallet, amount: '5.00', source: card(number) });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.json()).toMatchObject({ status: 'failed', failure_code: code });
      expect((await getJson(t, `/v1/payments/${response.json().id}`)).status).toBe('failed');
    }
    expect(await balanceOf(t, wallet)).toEqual(usd('0.00'));
  });

  it('refuses bad requests with a 4xx and writes nothing', async () => {
    const wallet = await newWallet(t);
    const eur = await newWallet(t, 'EUR');
    expectProblem(
      await pay({ wallet_id: wallet, amount: '5.00', source: card('4111111111111111') }),
      400,
      'invalid_request',
      'source.number',
    );
    expectProblem(
      await pay({ wallet_id: eur, amount: '5.00', source: card() }),
      400,
      'currency_mismatch',
      'currency',
    );
    expectProblem(
      await pay({ wallet_id: wallet, amount: '5.00', source: card(), fee: { amount: '5.00' } }),
      400,
      'invalid_amount',
      'fee.amount',
    );
    expectProblem(
      await pay({
        wallet_id: wallet,
        amount: '5.00',
        source: card(),
        splits: [{ wallet_id: eur, amount: '1.00' }],
      }),
      400,
      'currency_mismatch',
      'splits.0.wallet_id',
    );
    expectProblem(
      await pay({
        wallet_id: wallet,
        amount: '5.00',
        source: card(),
        splits: [{ wallet_id: 'wal_nope', amount: '1.00' }],
      }),
      404,
      'resource_not_found',
      'splits.0.wallet_id',
    );
    expectProblem(
      await pay({
        wallet_id: wallet,
        amount: '5.00',
        source: card(),
        splits: [{ wallet_id: eur, amount: '9.00' }],
      }),
      400,
      'currency_mismatch',
      'splits.0.wallet_id',
    );
    expectProblem(
      await pay({ wallet_id: wallet, amount: 5, source: card() }),
      400,
      'invalid_amount',
      'amount',
    );
    expectProblem(
      await pay({ wallet_id: 'wal_missing', amount: '5.00', source: card() }),
      404,
      'resource_not_found',
      'wallet_id',
    );
    await postOk(t, `/v1/wallets/${wallet}/freeze`, undefined, 200);
    expectProblem(
      await pay({ wallet_id: wallet, amount: '5.00', source: card() }),
      409,
      'wallet_frozen',
      'wallet_id',
    );
    expectProblem(
      await post(
        t,
        '/v1/payments',
        { wallet_id: wallet, amount: '5.00', currency: 'USD', source: card() },
        t.live_key,
      ),
      404,
      'resource_not_found',
      'wallet_id',
    );
    const list = await getJson(t, `/v1/payments?wallet_id=${wallet}`);
    expect(list.data).toEqual([]);
  });

  it('splits that take more than the net amount are refused', async () => {
    const wallet = await newWallet(t);
    const other = await newWallet(t);
    expectProblem(
      await pay({
        wallet_id: wallet,
        amount: '10.00',
        source: card(),
        fee: { amount: '2.00' },
        splits: [{ wallet_id: other, amount: '9.00' }],
      }),
      400,
      'invalid_split',
      'splits',
    );
  });
});

describe('bank debits', () => {
  it('are processing, then succeed when the rail confirms a step later', async () => {
    const wallet = await newWallet(t);
    const payment = (await pay({ wallet_id: wallet, amount: '40.00', source: bank() })).json();
    expect(payment).toMatchObject({
      status: 'processing',
      source: { type: 'bank_account', last4: '6789', routing_number: '110000000' },
    });
    expect(await balanceOf(t, wallet)).toEqual(usd('0.00'));
    await advanceAndRunJobs(t, step_ms - 1);
    expect((await getJson(t, `/v1/payments/${payment.id}`)).status).toBe('processing');
    await advanceAndRunJobs(t, 1);
    expect((await getJson(t, `/v1/payments/${payment.id}`)).status).toBe('succeeded');
    expect(await balanceOf(t, wallet)).toEqual(usd('40.00'));
  });

  it('fail with the rail reason for the documented failing accounts', async () => {
    const wallet = await newWallet(t);
    const cases = [
      ['000111111116', 'no_account'],
      ['000111111113', 'account_closed'],
      ['000222222227', 'insufficient_funds'],
      ['000333333335', 'debit_not_authorized'],
    ];
    const ids = [];
    for (const [account] of cases)
      ids.push((await pay({ wallet_id: wallet, amount: '3.00', source: bank(account) })).json().id);
    await advanceAndRunJobs(t, step_ms);
    for (const [index, [, code]] of cases.entries()) {
      expect(await getJson(t, `/v1/payments/${ids[index]}`)).toMatchObject({
        status: 'failed',
        failure_code: code,
      });
    }
    expect(await balanceOf(t, wallet)).toEqual(usd('0.00'));
  });

  it('test helpers move them at once, and the later automatic step changes nothing', async () => {
    const wallet = await newWallet(t);
    const ok = (await pay({ wallet_id: wallet, amount: '10.00', source: bank() })).json();
    const ko = (await pay({ wallet_id: wallet, amount: '10.00', source: bank() })).json();
    expect((await postOk(t, `/v1/test_helpers/payments/${ok.id}/succeed`, undefined, 200)).status).toBe(
      'succeeded',
    );
    expect(
      await postOk(t, `/v1/test_helpers/payments/${ko.id}/fail`, { failure_code: 'account_frozen' }, 200),
    ).toMatchObject({ status: 'failed', failure_code: 'account_frozen' });
    expectProblem(await post(t, `/v1/test_helpers/payments/${ok.id}/fail`), 409, 'invalid_state');
    await advanceAndRunJobs(t, step_ms);
    expect(await balanceOf(t, wallet)).toEqual(usd('10.00'));
    expect((await getJson(t, `/v1/payments/${ko.id}`)).status).toBe('failed');
    expectProblem(
      await post(t, `/v1/test_helpers/payments/${ok.id}/succeed`, undefined, t.live_key),
      403,
      'test_mode_only',
    );
  });
});

describe('crypto deposits', () => {
  it('credit the wallet once the sandbox chain has confirmed them', async () => {
    const wallet = await newWallet(t, 'ETH');
    const address = await postOk(t, `/v1/wallets/${wallet}/deposit_addresses`, { network: 'ethereum' }, 200);
    expect(address.address).toMatch(/^0x[0-9a-f]{40}$/);
    expect(
      (await postOk(t, `/v1/wallets/${wallet}/deposit_addresses`, { network: 'ethereum' }, 200)).address,
    ).toBe(address.address);
    const payment = await postOk(
      t,
      '/v1/test_helpers/crypto_deposits',
      { address: address.address, amount: '0.25' },
      200,
    );
    expect(payment).toMatchObject({
      status: 'processing',
      confirmations: 0,
      confirmations_required: 2,
      currency: 'ETH',
    });
    await advanceAndRunJobs(t, step_ms);
    expect(await getJson(t, `/v1/payments/${payment.id}`)).toMatchObject({
      status: 'processing',
      confirmations: 1,
    });
    await advanceAndRunJobs(t, step_ms);
    expect(await getJson(t, `/v1/payments/${payment.id}`)).toMatchObject({
      status: 'succeeded',
      confirmations: 2,
    });
    expect((await balanceOf(t, wallet)).available).toBe('0.250000000000000000');
  });

  it('refuses a network that does not carry the asset, and unknown addresses', async () => {
    const wallet = await newWallet(t, 'ETH');
    expectProblem(
      await post(t, `/v1/wallets/${wallet}/deposit_addresses`, { network: 'bitcoin' }),
      400,
      'invalid_request',
      'network',
    );
    expectProblem(
      await post(t, '/v1/test_helpers/crypto_deposits', { address: '0xnotanaddress', amount: '1' }),
      404,
      'resource_not_found',
      'address',
    );
    expectProblem(
      await post(t, '/v1/payments', {
        wallet_id: wallet,
        amount: '1',
        currency: 'ETH',
        source: { type: 'crypto', network: 'bitcoin' },
      }),
      400,
      'currency_mismatch',
      'source.network',
    );
  });
});

describe('settlement', () => {
  it('keeps payment funds pending for the wallet delay, then the worker settles them', async () => {
    const wallet = await newWallet(t, 'USD', { settlement_delay_days: 2 });
    const partner = await newWallet(t);
    const payment = (
      await pay({
        wallet_id: wallet,
        amount: '50.00',
        source: card(),
        fee: { amount: '5.00' },
        splits: [{ wallet_id: partner, amount: '15.00' }],
      })
    ).json();
    expect(payment.settled_at).toBeNull();
    expect(payment.settles_at).toBe(new Date(t.clock.now().getTime() + 2 * 86_400_000).toISOString());
    expect(await balanceOf(t, wallet)).toEqual(usd('0.00', '0.00', '30.00', '30.00'));
    expect(await balanceOf(t, partner)).toEqual(usd('0.00', '0.00', '15.00', '15.00'));
    const { settleDuePayments } = await import('./lifecycle.js');
    const { inTransaction } = await import('../db/pool.js');
    const settle = (at: Date) => inTransaction(t.db.pool, (db) => settleDuePayments(db, at, 100));
    expect(await settle(new Date(t.clock.now().getTime() + 86_400_000))).toBe(0);
    t.clock.advance(2 * 86_400_000);
    expect(await settle(t.clock.now())).toBe(1);
    expect(await settle(t.clock.now())).toBe(0);
    expect(await balanceOf(t, wallet)).toEqual(usd('30.00'));
    expect(await balanceOf(t, partner)).toEqual(usd('15.00'));
    expect((await getJson(t, `/v1/payments/${payment.id}`)).settled_at).not.toBeNull();
  });

  it('a test helper settles a wallet now', async () => {
    const wallet = await newWallet(t, 'USD', { settlement_delay_days: 7 });
    await pay({ wallet_id: wallet, amount: '12.00', source: card() });
    const settled = await postOk(t, `/v1/test_helpers/wallets/${wallet}/settle`, undefined, 200);
    expect(settled.balance).toEqual(usd('12.00'));
  });
});

describe('listing', () => {
  it('lists payments newest first with filters', async () => {
    const wallet = await newWallet(t);
    const first = (await pay({ wallet_id: wallet, amount: '1.00', source: card() })).json();
    const second = (
      await pay({ wallet_id: wallet, amount: '2.00', source: card('4000000000000002') })
    ).json();
    const all = await getJson(t, `/v1/payments?wallet_id=${wallet}`);
    expect((all.data as { id: string }[]).map((p) => p.id)).toEqual([second.id, first.id]);
    const failed = await getJson(t, `/v1/payments?wallet_id=${wallet}&status=failed`);
    expect((failed.data as { id: string }[]).map((p) => p.id)).toEqual([second.id]);
  });
});
