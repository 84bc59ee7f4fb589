import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apportion, sumOf } from '../ledger/splits.js';
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
  transfer,
  usd,
} from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const card = { type: 'card', number: '4242424242424242' };

/** A marketplace payment of 100.00: fee 10.00 to the platform, 30.00 to a partner, 60.00 to the seller. */
async function marketplacePayment(extra: Record<string, unknown> = {}) {
  const seller = await newWallet(t, 'USD', extra);
  const partner = await newWallet(t);
  const platform = await newWallet(t);
  const payment = await postOk(t, '/v1/payments', {
    wallet_id: seller,
    amount: '100.00',
    currency: 'USD',
    source: card,
    fee: { amount: '10.00', wallet_id: platform },
    splits: [{ wallet_id: partner, amount: '30.00' }],
  });
  return { seller, partner, platform, payment };
}

function refund(payload: Record<string, unknown>) {
  return post(t, '/v1/refunds', payload);
}

/** 100.00 from a funded source: 10.00 to d0, the rest to d1 after a 5.00 fee to a fee wallet. */
async function splitTransfer() {
  const source = await funded(t, '100.00');
  const [d0, d1, fee] = [await newWallet(t), await newWallet(t), await newWallet(t)];
  const sent = await postOk(t, '/v1/transfers', {
    source_wallet_id: source,
    destinations: [
      { wallet_id: d0, amount: '10.00' },
      { wallet_id: d1, remainder: true },
    ],
    amount: '100.00',
    currency: 'USD',
    fee: { amount: '5.00', wallet_id: fee },
  });
  return { source, d0, d1, fee, sent };
}

describe('apportion', () => {
  it('never gives a part more than it holds and always sums to the amount', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 8 }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (holdings, raw) => {
          const total = sumOf(holdings);
          fc.pre(total > 0n);
          const amount = (raw % total) + 1n;
          const shares = apportion(holdings, amount);
          expect(sumOf(shares)).toBe(amount);
          shares.forEach((share, index) => {
            expect(share >= 0n && share <= (holdings[index] ?? 0n)).toBe(true);
          });
          expect(apportion(holdings, total)).toEqual(holdings);
        },
      ),
    );
  });

  it('shares 1-unit parts without overdrawing any (the case a running scale gets wrong)', () => {
    expect(apportion([1n, 1n, 1n], 2n)).toEqual([1n, 1n, 0n]);
    expect(apportion([0n, 1n, 0n], 1n)).toEqual([0n, 1n, 0n]);
  });
});

describe('payment refunds', () => {
  it('take fee and splits back in proportion, partial refunds up to the amount and never beyond', async () => {
    const { seller, partner, platform, payment } = await marketplacePayment();
    const first = await refund({ payment_id: payment.id, amount: '25.00', reason: 'requested_by_customer' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      object: 'refund',
      status: 'succeeded',
      amount: '25.00',
      payment_id: payment.id,
      reason: 'requested_by_customer',
      parts: [
        { account_id: platform, amount: '2.50', covered_by: null },
        { account_id: partner, amount: '7.50', covered_by: null },
        { account_id: seller, amount: '15.00', covered_by: null },
      ],
    });
    expect(await balanceOf(t, seller)).toEqual(usd('45.00'));
    expectProblem(
      await refund({ payment_id: payment.id, amount: '75.01' }),
      409,
      'refund_exceeds_remaining',
      'amount',
    );
    const rest = await refund({ payment_id: payment.id });
    expect(rest.json()).toMatchObject({ amount: '75.00' });
    for (const wallet of [seller, partner, platform]) expect(await balanceOf(t, wallet)).toEqual(usd('0.00'));
    expect((await getJson(t, `/v1/payments/${payment.id}`)).amount_refunded).toBe('100.00');
    expectProblem(
      await refund({ payment_id: payment.id, amount: '0.01' }),
      409,
      'refund_exceeds_remaining',
      'amount',
    );
    const list = await getJson(t, `/v1/refunds?payment_id=${payment.id}`);
    expect((list.data as unknown[]).length).toBe(2);
  });

  it('odd amounts round by the largest remainder and a full refund returns every part exactly', async () => {
    const { seller, partner, platform, payment } = await marketplacePayment();
    for (let i = 0; i < 3; i += 1)
      expect((await refund({ payment_id: payment.id, amount: '0.01' })).statusCode).toBe(201);
    await refund({ payment_id: payment.id, amount: '33.33' });
    await refund({ payment_id: payment.id });
    for (const wallet of [seller, partner, platform]) expect(await balanceOf(t, wallet)).toEqual(usd('0.00'));
  });

  it('concurrent refunds of one payment never exceed it', async () => {
    const { payment } = await marketplacePayment();
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => refund({ payment_id: payment.id, amount: '10.00' })),
    );
    const created = responses.filter((response) => response.statusCode === 201).length;
    expect(created).toBe(10);
    for (const response of responses.filter((r) => r.statusCode !== 201))
      expectProblem(response, 409, 'refund_exceeds_remaining', 'amount');
    expect((await getJson(t, `/v1/payments/${payment.id}`)).amount_refunded).toBe('100.00');
  });

  it('insufficient_funds when a seller has spent it, unless a platform wallet covers it', async () => {
    const { seller, payment } = await marketplacePayment();
    const elsewhere = await newWallet(t);
    expect(
      (await transfer(t, { source_wallet_id: seller, destination_wallet_id: elsewhere, amount: '55.00' }))
        .statusCode,
    ).toBe(201);
    expectProblem(await refund({ payment_id: payment.id }), 402, 'insufficient_funds');
    const holder = (await postOk(t, '/v1/holders', { name: 'Someone' })).id;
    const holder_wallet = await newWallet(t, 'USD', { holder_id: holder });
    expectProblem(
      await refund({ payment_id: payment.id, cover_wallet_id: holder_wallet }),
      400,
      'invalid_request',
      'cover_wallet_id',
    );
    const cover = await newWallet(t, 'USD', { overdraft_limit: '1000.00' });
    const covered = await refund({ payment_id: payment.id, cover_wallet_id: cover });
    expect(covered.statusCode, covered.body).toBe(201);
    expect(covered.json().parts).toContainEqual({ account_id: seller, amount: '5.00', covered_by: null });
    expect(covered.json().parts).toContainEqual({ account_id: seller, amount: '55.00', covered_by: cover });
    expect(await balanceOf(t, seller)).toEqual(usd('0.00'));
    expect(await balanceOf(t, cover)).toEqual(usd('-55.00'));
  });

  it('a restricted key cannot make a wallet it cannot see cover a payment or transfer refund', async () => {
    const { seller, partner, platform, payment } = await marketplacePayment();
    const elsewhere = await newWallet(t);
    await postOk(t, '/v1/transfers', {
      source_wallet_id: seller,
      destination_wallet_id: elsewhere,
      amount: '55.00',
      currency: 'USD',
    });
    const cover = await newWallet(t, 'USD', { overdraft_limit: '1000.00' });
    const key = await createKey(t, {
      scopes: ['refunds:write'],
      restrictions: { wallet_ids: [seller, partner, platform, elsewhere] },
    });
    expectProblem(
      await post(t, '/v1/refunds', { payment_id: payment.id, cover_wallet_id: cover }, key.secret),
      404,
      'resource_not_found',
      'cover_wallet_id',
    );
    const sent = await postOk(t, '/v1/transfers', {
      source_wallet_id: await funded(t, '10.00'),
      destination_wallet_id: elsewhere,
      amount: '10.00',
      currency: 'USD',
    });
    await postOk(t, '/v1/transfers', {
      source_wallet_id: elsewhere,
      destination_wallet_id: seller,
      amount: '65.00',
      currency: 'USD',
    });
    expectProblem(
      await post(t, '/v1/refunds', { transfer_id: sent.id, cover_wallet_id: cover }, key.secret),
      404,
      'resource_not_found',
      'cover_wallet_id',
    );
    expect(await balanceOf(t, cover)).toEqual(usd('0.00'));
  });

  it('a restricted key refunds a payment only if it may make every part pay: fee and splits, full or partial', async () => {
    const [wallet, split, fee] = [await newWallet(t), await newWallet(t), await newWallet(t)];
    const payment = await postOk(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '100.00',
      currency: 'USD',
      source: card,
      fee: { amount: '5.00', wallet_id: fee },
      splits: [{ wallet_id: split, amount: '85.00' }],
    });
    const refundWith = async (key: string, amount?: string) =>
      post(t, '/v1/refunds', { payment_id: payment.id, ...(amount === undefined ? {} : { amount }) }, key);
    for (const wallets of [[wallet], [wallet, split]]) {
      const key = await createKey(t, { scopes: ['refunds:write'], restrictions: { wallet_ids: wallets } });
      for (const amount of [undefined, '1.00'])
        expectProblem(await refundWith(key.secret, amount), 404, 'resource_not_found', 'payment_id');
    }
    for (const [id, left] of [
      [wallet, '10.00'],
      [split, '85.00'],
      [fee, '5.00'],
    ] as const)
      expect(await balanceOf(t, id)).toEqual(usd(left));
    const all = await createKey(t, {
      scopes: ['refunds:write'],
      restrictions: { wallet_ids: [wallet, split, fee] },
    });
    expect((await refundWith(all.secret, '20.00')).statusCode).toBe(201);
    expect(await balanceOf(t, split)).toEqual(usd('68.00'));
    expect((await refundWith(all.secret)).statusCode).toBe(201);
    for (const id of [wallet, split, fee]) expect(await balanceOf(t, id)).toEqual(usd('0.00'));
  });

  it('a restricted key learns nothing of a refunded transfer it did not receive', async () => {
    const mine = await newWallet(t);
    const theirs = await newWallet(t);
    const sent = await postOk(t, '/v1/transfers', {
      source_wallet_id: await funded(t, '10.00'),
      destination_wallet_id: theirs,
      amount: '10.00',
      currency: 'USD',
    });
    const key = await createKey(t, { scopes: ['refunds:write'], restrictions: { wallet_ids: [mine] } });
    expectProblem(
      await post(t, '/v1/refunds', { transfer_id: sent.id }, key.secret),
      404,
      'resource_not_found',
      'transfer_id',
    );
    await postOk(t, '/v1/refunds', { transfer_id: sent.id });
    expectProblem(
      await post(t, '/v1/refunds', { transfer_id: sent.id }, key.secret),
      404,
      'resource_not_found',
      'transfer_id',
    );
  });

  it('an unsettled payment gives back pending funds', async () => {
    const { seller, payment } = await marketplacePayment({ settlement_delay_days: 3 });
    expect(await balanceOf(t, seller)).toEqual(usd('0.00', '0.00', '60.00', '60.00'));
    await postOk(t, '/v1/refunds', { payment_id: payment.id, amount: '50.00' });
    expect(await balanceOf(t, seller)).toEqual(usd('0.00', '0.00', '30.00', '30.00'));
    await postOk(t, `/v1/test_helpers/wallets/${seller}/settle`, undefined, 200);
    expect(await balanceOf(t, seller)).toEqual(usd('30.00'));
    await postOk(t, '/v1/refunds', { payment_id: payment.id });
    expect(await balanceOf(t, seller)).toEqual(usd('0.00'));
  });

  it('bank refunds are pending until the rail confirms', async () => {
    const wallet = await newWallet(t);
    const payment = await postOk(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '20.00',
      currency: 'USD',
      source: { type: 'bank_account', account_number: '000123456789', routing_number: '110000000' },
    });
    expectProblem(await refund({ payment_id: payment.id }), 409, 'not_refundable', 'payment_id');
    await postOk(t, `/v1/test_helpers/payments/${payment.id}/succeed`, undefined, 200);
    const pending = await postOk(t, '/v1/refunds', { payment_id: payment.id, amount: '5.00' });
    expect(pending.status).toBe('pending');
    await advanceAndRunJobs(t, t.config.rails.sandbox_step_ms);
    expect((await getJson(t, `/v1/refunds/${pending.id}`)).status).toBe('succeeded');
    const second = await postOk(t, '/v1/refunds', { payment_id: payment.id, amount: '5.00' });
    expect((await postOk(t, `/v1/test_helpers/refunds/${second.id}/succeed`, undefined, 200)).status).toBe(
      'succeeded',
    );
  });

  it('refuses failed payments, both or neither target, and unknown ids', async () => {
    const wallet = await newWallet(t);
    const failed = await postOk(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '5.00',
      currency: 'USD',
      source: { type: 'card', number: '4000000000000002' },
    });
    expectProblem(await refund({ payment_id: failed.id }), 409, 'not_refundable', 'payment_id');
    expectProblem(await refund({}), 400, 'invalid_request', 'payment_id');
    expectProblem(
      await refund({ payment_id: failed.id, transfer_id: 'tr_x' }),
      400,
      'invalid_request',
      'payment_id',
    );
    expectProblem(await refund({ payment_id: 'pay_nope' }), 404, 'resource_not_found', 'payment_id');
    const { payment } = await marketplacePayment();
    expectProblem(await refund({ payment_id: payment.id, amount: '-1' }), 400, 'invalid_amount', 'amount');
    expectProblem(await refund({ payment_id: payment.id, amount: '1.001' }), 400, 'invalid_amount', 'amount');
    expect((await getJson(t, `/v1/payments/${payment.id}`)).amount_refunded).toBe('0.00');
  });
});

describe('transfer refunds', () => {
  it('return a posted transfer to its source, fee included, and refuse holds', async () => {
    const source = await funded(t, '100.00');
    const a = await newWallet(t);
    const b = await newWallet(t);
    const sent = (
      await transfer(t, {
        source_wallet_id: source,
        destinations: [
          { wallet_id: a, percent: '50' },
          { wallet_id: b, remainder: true },
        ],
        amount: '40.00',
        fee: { amount: '4.00' },
      })
    ).json();
    const back = await postOk(t, '/v1/refunds', { transfer_id: sent.id, amount: '20.00' });
    expect(back.status).toBe('succeeded');
    expect(await balanceOf(t, source)).toEqual(usd('80.00'));
    expect(await balanceOf(t, a)).toEqual(usd('9.00'));
    await postOk(t, '/v1/refunds', { transfer_id: sent.id });
    expect(await balanceOf(t, source)).toEqual(usd('100.00'));
    const hold = (
      await transfer(t, { source_wallet_id: source, destination_wallet_id: a, amount: '5.00', hold: true })
    ).json();
    expectProblem(await refund({ transfer_id: hold.id }), 409, 'not_refundable', 'transfer_id');
    await postOk(t, `/v1/transfers/${hold.id}/capture`, { amount: '3.00' }, 200);
    await postOk(t, '/v1/refunds', { transfer_id: hold.id });
    expectProblem(await refund({ transfer_id: hold.id }), 409, 'refund_exceeds_remaining', 'amount');
    expect(await balanceOf(t, source)).toEqual(usd('100.00'));
  });

  it('parallel refunds by a restricted key never make another part pay (third attack, N1)', async () => {
    const source = await funded(t, '100.00');
    const [d0, d1] = [await newWallet(t), await newWallet(t)];
    const sent = await postOk(t, '/v1/transfers', {
      source_wallet_id: source,
      destinations: [
        { wallet_id: d0, percent: '50' },
        { wallet_id: d1, remainder: true },
      ],
      amount: '100.00',
      currency: 'USD',
    });
    const key = await createKey(t, { scopes: ['refunds:write'], restrictions: { wallet_ids: [d0] } });
    // Each cent's share falls on whichever part has the most left: checked against a state that
    // parallel refunds change, it was approved as d0's and then taken from d1.
    const answers = await Promise.all(
      Array.from({ length: 16 }, () =>
        post(t, '/v1/refunds', { transfer_id: sent.id, amount: '0.01' }, key.secret),
      ),
    );
    for (const answer of answers) {
      if (answer.statusCode === 201)
        expect(answer.json().parts).toEqual([{ account_id: d0, amount: '0.01', covered_by: null }]);
      else expectProblem(answer, 404, 'resource_not_found', 'transfer_id');
    }
    expect(await balanceOf(t, d1)).toEqual(usd('50.00'));
  });

  it('a restricted key refunds a transfer only if it may make every part pay: fee and destinations, full or partial', async () => {
    const { source, d0, d1, fee, sent } = await splitTransfer();
    const refundWith = async (key: string, amount?: string) =>
      post(t, '/v1/refunds', { transfer_id: sent.id, ...(amount === undefined ? {} : { amount }) }, key);
    for (const wallets of [[d0], [d0, d1]]) {
      const key = await createKey(t, { scopes: ['refunds:write'], restrictions: { wallet_ids: wallets } });
      for (const amount of [undefined, '1.00'])
        expectProblem(await refundWith(key.secret, amount), 404, 'resource_not_found', 'transfer_id');
    }
    expect(await balanceOf(t, d0)).toEqual(usd('10.00'));
    expect(await balanceOf(t, d1)).toEqual(usd('85.00'));
    expect(await balanceOf(t, fee)).toEqual(usd('5.00'));
    // A partial refund takes nothing from a part whose share rounds to zero: only the others pay.
    const two = await createKey(t, { scopes: ['refunds:write'], restrictions: { wallet_ids: [d0, d1] } });
    const cent = await refundWith(two.secret, '0.01');
    expect(cent.statusCode, cent.body).toBe(201);
    expect(cent.json().parts).toEqual([{ account_id: d1, amount: '0.01', covered_by: null }]);
    const all = await createKey(t, {
      scopes: ['refunds:write'],
      restrictions: { wallet_ids: [d0, d1, fee] },
    });
    expect((await refundWith(all.secret)).statusCode).toBe(201);
    expect(await balanceOf(t, source)).toEqual(usd('100.00'));
    // A fee paid to the platform's system fee account: no restricted key holds it.
    const to_platform = await postOk(t, '/v1/transfers', {
      source_wallet_id: source,
      destination_wallet_id: d0,
      amount: '10.00',
      currency: 'USD',
      fee: { amount: '1.00' },
    });
    expectProblem(
      await post(t, '/v1/refunds', { transfer_id: to_platform.id }, all.secret),
      404,
      'resource_not_found',
      'transfer_id',
    );
    expect(await balanceOf(t, source)).toEqual(usd('90.00'));
  });

  it("checks each part's share against a spend policy and counts the refund once in full", async () => {
    const { sent } = await splitTransfer();
    const key = await createKey(t, {
      scopes: ['refunds:write'],
      spend_policy: { limits: [{ currency: 'USD', per_movement_max: '50.00', daily_max: '100.00' }] },
    });
    expectProblem(
      await post(t, '/v1/refunds', { transfer_id: sent.id }, key.secret),
      403,
      'spend_limit_exceeded',
      'per_movement_max',
    );
    const partial = await post(t, '/v1/refunds', { transfer_id: sent.id, amount: '20.00' }, key.secret);
    expect(partial.statusCode, partial.body).toBe(201);
    const spent = await t.db.pool.query<{ spent: string }>(
      "SELECT spent_minor::text AS spent FROM spend_counters WHERE api_key_id = $1 AND period = 'day'",
      [key.id],
    );
    expect(spent.rows.map((row) => row.spent)).toEqual(['2000']);
  });
});
