import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, funded, newWallet, transfer } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const unknown_wallet = 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h';

interface Snapshot {
  counts: Record<string, string>;
  balances: Record<string, unknown>;
  transfers: unknown[];
}

/**
 * Row counts of everything a money movement writes, the given wallets' balances and every
 * transfer's state. System accounts are left out: they are created on first use, outside the
 * request's transaction, and an empty one is harmless.
 */
async function snapshot(wallets: readonly string[]): Promise<Snapshot> {
  const counts = await t.db.pool.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM transfers) AS transfers,
            (SELECT count(*) FROM postings) AS postings,
            (SELECT count(*) FROM journal_entries) AS journal_entries,
            (SELECT count(*) FROM payments) AS payments,
            (SELECT count(*) FROM accounts WHERE kind = 'wallet') AS wallets`,
  );
  const transfers = await t.db.pool.query(
    'SELECT id, status, amount, captured_amount, fee_amount, destinations, updated_at FROM transfers ORDER BY id',
  );
  const balances: Record<string, unknown> = {};
  for (const wallet of wallets) balances[wallet] = await balanceOf(t, wallet);
  const row = counts.rows[0];
  if (row === undefined) throw new Error('no counts');
  return { counts: row, balances, transfers: transfers.rows };
}

/**
 * Sends a request that must be refused with exactly this status, code and param, and checks that
 * nothing was written: row counts, balances and transfers are as before.
 */
async function expectRefused(
  wallets: readonly string[],
  send: () => Promise<LightMyRequestResponse>,
  expected: { status: number; code: string; param: string | undefined },
): Promise<Record<string, unknown>> {
  const before = await snapshot(wallets);
  const response = await send();
  expect(response.statusCode, response.body).toBe(expected.status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({
    type: `urn:purse:problem:${expected.code}`,
    status: expected.status,
    code: expected.code,
  });
  expect(body.param).toBe(expected.param);
  expect(body.request_id).toBe(response.headers['request-id']);
  expect(typeof body.detail).toBe('string');
  expect(body).not.toHaveProperty('stack');
  expect(await snapshot(wallets)).toEqual(before);
  return body;
}

function post(url: string, payload?: Record<string, unknown>, key?: string) {
  return t.request({
    method: 'POST',
    url,
    ...(payload === undefined ? {} : { payload }),
    ...(key === undefined ? {} : { key }),
  });
}

/**
 * One transfer per field that names a wallet, each with `bad` in that field (and `source` and
 * `other` elsewhere), and the param a refusal about `bad` must name.
 */
function inEachWalletField(source: string, other: string, bad: string) {
  return [
    {
      param: 'source_wallet_id',
      payload: { source_wallet_id: bad, destination_wallet_id: other, amount: '1.00' },
    },
    {
      param: 'destination_wallet_id',
      payload: { source_wallet_id: source, destination_wallet_id: bad, amount: '1.00' },
    },
    {
      param: 'destinations.1.wallet_id',
      payload: {
        source_wallet_id: source,
        amount: '2.00',
        destinations: [
          { wallet_id: other, amount: '1.00' },
          { wallet_id: bad, amount: '1.00' },
        ],
      },
    },
    {
      param: 'fee.wallet_id',
      payload: {
        source_wallet_id: source,
        destination_wallet_id: other,
        amount: '2.00',
        fee: { amount: '0.10', wallet_id: bad },
      },
    },
  ];
}

describe('insufficient_funds', () => {
  it('is 402 naming source_wallet_id', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    await expectRefused(
      [a, b],
      () => transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '10.01' }),
      {
        status: 402,
        code: 'insufficient_funds',
        param: 'source_wallet_id',
      },
    );
    await expectRefused(
      [a, b],
      () => transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '10.01', hold: true }),
      { status: 402, code: 'insufficient_funds', param: 'source_wallet_id' },
    );
    await expectRefused(
      [a, b],
      () =>
        transfer(t, {
          source_wallet_id: a,
          destination_wallet_id: b,
          amount: '10.01',
          fee: { amount: '0.50' },
        }),
      { status: 402, code: 'insufficient_funds', param: 'source_wallet_id' },
    );
  });

  it('counts held funds as unavailable', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const hold = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '6.00',
      hold: true,
    });
    expect(hold.statusCode, hold.body).toBe(201);
    await expectRefused(
      [a, b],
      () => transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '4.01' }),
      {
        status: 402,
        code: 'insufficient_funds',
        param: 'source_wallet_id',
      },
    );
    expect(await balanceOf(t, a)).toEqual({
      available: '4.00',
      held: '6.00',
      pending: '0.00',
      total: '10.00',
    });
  });
});

describe('wallet status', () => {
  it('wallet_frozen (409) for a frozen wallet in any field, naming it', async () => {
    const a = await funded(t, '10.00');
    const [b, c] = [await newWallet(t), await funded(t, '10.00')];
    expect((await post(`/v1/wallets/${a}/freeze`)).statusCode).toBe(200);
    for (const { param, payload } of inEachWalletField(c, b, a)) {
      await expectRefused([a, b, c], () => transfer(t, payload), {
        status: 409,
        code: 'wallet_frozen',
        param,
      });
    }
  });

  it('wallet_closed (409) for a closed destination', async () => {
    const closed = await newWallet(t);
    expect((await post(`/v1/wallets/${closed}/close`)).statusCode).toBe(200);
    const a = await funded(t, '10.00');
    await expectRefused(
      [a, closed],
      () => transfer(t, { source_wallet_id: a, destination_wallet_id: closed, amount: '1.00' }),
      { status: 409, code: 'wallet_closed', param: 'destination_wallet_id' },
    );
    await expectRefused(
      [a, closed],
      () => transfer(t, { source_wallet_id: closed, destination_wallet_id: a, amount: '1.00' }),
      { status: 409, code: 'wallet_closed', param: 'source_wallet_id' },
    );
    await expectRefused(
      [closed],
      () =>
        post('/v1/payments', {
          wallet_id: closed,
          amount: '1.00',
          currency: 'USD',
          source: { type: 'card', number: '4242424242424242' },
        }),
      { status: 409, code: 'wallet_closed', param: 'wallet_id' },
    );
  });
});

describe('currency_mismatch', () => {
  it('refuses a USD wallet paying a EUR wallet', async () => {
    const usd = await funded(t, '10.00');
    const eur = await newWallet(t, 'EUR');
    await expectRefused(
      [usd, eur],
      () => transfer(t, { source_wallet_id: usd, destination_wallet_id: eur, amount: '1.00' }),
      { status: 400, code: 'currency_mismatch', param: 'destination_wallet_id' },
    );
    const usd2 = await newWallet(t);
    await expectRefused(
      [usd, eur, usd2],
      () =>
        transfer(t, {
          source_wallet_id: usd,
          amount: '2.00',
          destinations: [
            { wallet_id: usd2, amount: '1.00' },
            { wallet_id: eur, amount: '1.00' },
          ],
        }),
      { status: 400, code: 'currency_mismatch', param: 'destinations.1.wallet_id' },
    );
    await expectRefused(
      [usd, eur, usd2],
      () =>
        transfer(t, {
          source_wallet_id: usd,
          destination_wallet_id: usd2,
          amount: '2.00',
          fee: { amount: '0.10', wallet_id: eur },
        }),
      { status: 400, code: 'currency_mismatch', param: 'fee.wallet_id' },
    );
  });

  it('refuses a currency field that differs from the source wallet', async () => {
    const usd = await funded(t, '10.00');
    const usd2 = await newWallet(t);
    await expectRefused(
      [usd, usd2],
      () =>
        transfer(t, { source_wallet_id: usd, destination_wallet_id: usd2, amount: '1.00', currency: 'EUR' }),
      { status: 400, code: 'currency_mismatch', param: 'source_wallet_id' },
    );
    await expectRefused(
      [usd],
      () =>
        post('/v1/payments', {
          wallet_id: usd,
          amount: '1.00',
          currency: 'EUR',
          source: { type: 'card', number: '4242424242424242' },
        }),
      { status: 400, code: 'currency_mismatch', param: 'currency' },
    );
  });

  it('refuses an unknown currency with asset_not_found', async () => {
    const usd = await funded(t, '10.00');
    const usd2 = await newWallet(t);
    await expectRefused(
      [usd, usd2],
      () =>
        transfer(t, { source_wallet_id: usd, destination_wallet_id: usd2, amount: '1.00', currency: 'XYZ' }),
      { status: 400, code: 'asset_not_found', param: 'currency' },
    );
  });
});

describe('invalid_amount', () => {
  let a: string;
  let b: string;
  let ja: string;
  let jb: string;
  beforeAll(async () => {
    a = await funded(t, '100.00');
    b = await newWallet(t);
    ja = await funded(t, '1000', 'JPY');
    jb = await newWallet(t, 'JPY');
  });

  const usd_cases: [string, unknown][] = [
    ['a JSON number', 12.34],
    ['too many decimals', '12.345'],
    ['zero', '0'],
    ['zero with decimals', '0.00'],
    ['a negative', '-1.00'],
    ['an exponent', '1e3'],
    ['10^38 whole units', '100000000000000000000000000000000000000'],
    ['a leading plus', '+1.00'],
    ['a leading zero', '01.00'],
    ['a trailing dot', '1.'],
    ['spaces', ' 1.00'],
    ['empty', ''],
  ];
  for (const [name, amount] of usd_cases) {
    it(`refuses ${name} (${JSON.stringify(amount)}) with param amount`, async () => {
      await expectRefused(
        [a, b],
        () => transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount }),
        {
          status: 400,
          code: 'invalid_amount',
          param: 'amount',
        },
      );
    });
  }

  it('refuses one minor unit above the largest amount (10^27 minor units) and accepts the largest in the range check', async () => {
    // 10^25 dollars is 10^27 cents, the largest amount; one cent more is out of range.
    await expectRefused(
      [a, b],
      () =>
        transfer(t, {
          source_wallet_id: a,
          destination_wallet_id: b,
          amount: `1${'0'.repeat(25)}.01`,
        }),
      { status: 400, code: 'invalid_amount', param: 'amount' },
    );
    // The largest amount is in range, and then merely too much for the wallet.
    await expectRefused(
      [a, b],
      () =>
        transfer(t, {
          source_wallet_id: a,
          destination_wallet_id: b,
          amount: `1${'0'.repeat(25)}.00`,
        }),
      { status: 402, code: 'insufficient_funds', param: 'source_wallet_id' },
    );
  });

  it('refuses "1.5" in JPY', async () => {
    await expectRefused(
      [ja, jb],
      () => transfer(t, { source_wallet_id: ja, destination_wallet_id: jb, amount: '1.5', currency: 'JPY' }),
      { status: 400, code: 'invalid_amount', param: 'amount' },
    );
    // Whole yen go through.
    const ok = await transfer(t, {
      source_wallet_id: ja,
      destination_wallet_id: jb,
      amount: '15',
      currency: 'JPY',
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().amount).toBe('15');
  });

  it('refuses a fee equal to or above the amount, naming fee.amount', async () => {
    for (const fee of ['10.00', '10.01']) {
      await expectRefused(
        [a, b],
        () =>
          transfer(t, {
            source_wallet_id: a,
            destination_wallet_id: b,
            amount: '10.00',
            fee: { amount: fee },
          }),
        { status: 400, code: 'invalid_amount', param: 'fee.amount' },
      );
    }
    await expectRefused(
      [a, b],
      () =>
        transfer(t, {
          source_wallet_id: a,
          destination_wallet_id: b,
          amount: '10.00',
          fee: { amount: '0.001' },
        }),
      { status: 400, code: 'invalid_amount', param: 'fee.amount' },
    );
    await expectRefused(
      [a, b],
      () =>
        transfer(t, {
          source_wallet_id: a,
          destination_wallet_id: b,
          amount: '10.00',
          fee: { amount: 1 },
        }),
      { status: 400, code: 'invalid_amount', param: 'fee.amount' },
    );
  });

  it('refuses bad amounts on payments and destination legs', async () => {
    await expectRefused(
      [a],
      () =>
        post('/v1/payments', {
          wallet_id: a,
          amount: '1.001',
          currency: 'USD',
          source: { type: 'card', number: '4242424242424242' },
        }),
      { status: 400, code: 'invalid_amount', param: 'amount' },
    );
    await expectRefused(
      [a],
      () =>
        post('/v1/payments', {
          wallet_id: a,
          amount: 5,
          currency: 'USD',
          source: { type: 'card', number: '4242424242424242' },
        }),
      { status: 400, code: 'invalid_amount', param: 'amount' },
    );
    await expectRefused(
      [a, b],
      () =>
        transfer(t, {
          source_wallet_id: a,
          amount: '10.00',
          destinations: [{ wallet_id: b, amount: '10.001' }],
        }),
      { status: 400, code: 'invalid_amount', param: 'destinations.0.amount' },
    );
  });
});

describe('holds', () => {
  it('hold_not_pending (409) when capturing a posted transfer or voiding twice', async () => {
    const a = await funded(t, '50.00');
    const b = await newWallet(t);
    const posted = await transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '5.00' });
    expect(posted.statusCode, posted.body).toBe(201);
    const posted_id = posted.json().id as string;
    await expectRefused([a, b], () => post(`/v1/transfers/${posted_id}/capture`), {
      status: 409,
      code: 'hold_not_pending',
      param: undefined,
    });
    await expectRefused([a, b], () => post(`/v1/transfers/${posted_id}/void`), {
      status: 409,
      code: 'hold_not_pending',
      param: undefined,
    });

    const hold = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '5.00',
      hold: true,
    });
    expect(hold.statusCode, hold.body).toBe(201);
    const hold_id = hold.json().id as string;
    const voided = await post(`/v1/transfers/${hold_id}/void`);
    expect(voided.statusCode, voided.body).toBe(200);
    await expectRefused([a, b], () => post(`/v1/transfers/${hold_id}/void`), {
      status: 409,
      code: 'hold_not_pending',
      param: undefined,
    });
    await expectRefused([a, b], () => post(`/v1/transfers/${hold_id}/capture`), {
      status: 409,
      code: 'hold_not_pending',
      param: undefined,
    });

    const captured_hold = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '5.00',
      hold: true,
    });
    const captured_id = captured_hold.json().id as string;
    expect((await post(`/v1/transfers/${captured_id}/capture`)).statusCode).toBe(200);
    await expectRefused([a, b], () => post(`/v1/transfers/${captured_id}/capture`), {
      status: 409,
      code: 'hold_not_pending',
      param: undefined,
    });
    await expectRefused([a, b], () => post(`/v1/transfers/${captured_id}/void`), {
      status: 409,
      code: 'hold_not_pending',
      param: undefined,
    });
    expect(await balanceOf(t, a)).toEqual({
      available: '40.00',
      held: '0.00',
      pending: '0.00',
      total: '40.00',
    });
    expect(await balanceOf(t, b)).toEqual({
      available: '10.00',
      held: '0.00',
      pending: '0.00',
      total: '10.00',
    });
  });

  it('capture_exceeds_hold (400) naming amount', async () => {
    const a = await funded(t, '50.00');
    const b = await newWallet(t);
    const hold = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '20.00',
      hold: true,
    });
    const id = hold.json().id as string;
    await expectRefused([a, b], () => post(`/v1/transfers/${id}/capture`, { amount: '20.01' }), {
      status: 400,
      code: 'capture_exceeds_hold',
      param: 'amount',
    });
    await expectRefused([a, b], () => post(`/v1/transfers/${id}/capture`, { amount: '0' }), {
      status: 400,
      code: 'invalid_amount',
      param: 'amount',
    });
    await expectRefused([a, b], () => post(`/v1/transfers/${id}/capture`, { amount: '1.001' }), {
      status: 400,
      code: 'invalid_amount',
      param: 'amount',
    });
    expect((await t.request({ method: 'GET', url: `/v1/transfers/${id}` })).json().status).toBe('pending');
    const exact = await post(`/v1/transfers/${id}/capture`, { amount: '20.00' });
    expect(exact.statusCode, exact.body).toBe(200);
    expect(exact.json()).toMatchObject({ status: 'posted', captured_amount: '20.00' });
  });

  it('hold_expired (409) when capturing after expires_at', async () => {
    const a = await funded(t, '50.00');
    const b = await newWallet(t);
    const expires_at = new Date(t.clock.now().getTime() + 60_000).toISOString();
    const hold = await transfer(t, {
      source_wallet_id: a,
      destination_wallet_id: b,
      amount: '20.00',
      hold: true,
      expires_at,
    });
    expect(hold.statusCode, hold.body).toBe(201);
    expect(hold.json().expires_at).toBe(expires_at);
    const id = hold.json().id as string;
    t.clock.advance(120_000);
    await expectRefused([a, b], () => post(`/v1/transfers/${id}/capture`), {
      status: 409,
      code: 'hold_expired',
      param: undefined,
    });
    await expectRefused([a, b], () => post(`/v1/transfers/${id}/capture`, { amount: '1.00' }), {
      status: 409,
      code: 'hold_expired',
      param: undefined,
    });
    expect(await balanceOf(t, a)).toEqual({
      available: '30.00',
      held: '20.00',
      pending: '0.00',
      total: '50.00',
    });
    // Voiding an expired hold is still allowed: it only releases the reservation.
    const voided = await post(`/v1/transfers/${id}/void`);
    expect(voided.statusCode, voided.body).toBe(200);
    expect(await balanceOf(t, a)).toEqual({
      available: '50.00',
      held: '0.00',
      pending: '0.00',
      total: '50.00',
    });
  });

  it('refuses expires_at in the past, too far ahead, or on a non-hold', async () => {
    const a = await funded(t, '50.00');
    const b = await newWallet(t);
    const now = t.clock.now().getTime();
    for (const expires_at of [
      new Date(now - 1000).toISOString(),
      new Date(now).toISOString(),
      new Date(now + 31 * 86_400_000).toISOString(),
    ]) {
      await expectRefused(
        [a, b],
        () =>
          transfer(t, {
            source_wallet_id: a,
            destination_wallet_id: b,
            amount: '1.00',
            hold: true,
            expires_at,
          }),
        { status: 400, code: 'invalid_request', param: 'expires_at' },
      );
    }
    await expectRefused(
      [a, b],
      () =>
        transfer(t, {
          source_wallet_id: a,
          destination_wallet_id: b,
          amount: '1.00',
          expires_at: new Date(now + 60_000).toISOString(),
        }),
      { status: 400, code: 'invalid_request', param: 'expires_at' },
    );
  });

  it('404 for capturing or voiding an unknown transfer', async () => {
    await expectRefused([], () => post('/v1/transfers/tr_01jd0w3n3w8m5t5vq6fz1y2k3h/capture'), {
      status: 404,
      code: 'resource_not_found',
      param: undefined,
    });
    await expectRefused([], () => post('/v1/transfers/tr_01jd0w3n3w8m5t5vq6fz1y2k3h/void'), {
      status: 404,
      code: 'resource_not_found',
      param: undefined,
    });
  });
});

describe('invalid_split', () => {
  let a: string;
  let b: string;
  let c: string;
  beforeAll(async () => {
    a = await funded(t, '100.00');
    b = await newWallet(t);
    c = await newWallet(t);
  });

  function split(destinations: Record<string, unknown>[], amount = '10.00') {
    return () => transfer(t, { source_wallet_id: a, amount, destinations });
  }

  it('refuses percents over 100 in total', async () => {
    await expectRefused(
      [a, b, c],
      split([
        { wallet_id: b, percent: '60' },
        { wallet_id: c, percent: '50' },
      ]),
      { status: 400, code: 'invalid_split', param: 'destinations' },
    );
  });

  it('refuses a single percent over 100', async () => {
    await expectRefused([a, b, c], split([{ wallet_id: b, percent: '100.5' }]), {
      status: 400,
      code: 'invalid_split',
      param: 'destinations.0.percent',
    });
    await expectRefused(
      [a, b, c],
      split([
        { wallet_id: b, percent: '0' },
        { wallet_id: c, remainder: true },
      ]),
      { status: 400, code: 'invalid_split', param: 'destinations.0.percent' },
    );
  });

  it('refuses two remainders', async () => {
    await expectRefused(
      [a, b, c],
      split([
        { wallet_id: b, remainder: true },
        { wallet_id: c, remainder: true },
      ]),
      { status: 400, code: 'invalid_split', param: 'destinations' },
    );
  });

  it('refuses amounts that do not add up without a remainder', async () => {
    await expectRefused(
      [a, b, c],
      split([
        { wallet_id: b, amount: '3.00' },
        { wallet_id: c, amount: '6.99' },
      ]),
      { status: 400, code: 'invalid_split', param: 'destinations' },
    );
    await expectRefused(
      [a, b, c],
      split([
        { wallet_id: b, amount: '3.00' },
        { wallet_id: c, amount: '7.01' },
      ]),
      { status: 400, code: 'invalid_split', param: 'destinations' },
    );
    await expectRefused(
      [a, b, c],
      split([
        { wallet_id: b, percent: '50' },
        { wallet_id: c, percent: '49.99' },
      ]),
      { status: 400, code: 'invalid_split', param: 'destinations' },
    );
    // Amounts taking more than the amount even with a remainder leg.
    await expectRefused(
      [a, b, c],
      split([
        { wallet_id: b, amount: '10.01' },
        { wallet_id: c, remainder: true },
      ]),
      { status: 400, code: 'invalid_split', param: 'destinations' },
    );
    // The fee comes off first: 9.50 is left to split, not 10.00.
    await expectRefused(
      [a, b, c],
      () =>
        transfer(t, {
          source_wallet_id: a,
          amount: '10.00',
          fee: { amount: '0.50' },
          destinations: [
            { wallet_id: b, amount: '5.00' },
            { wallet_id: c, amount: '5.00' },
          ],
        }),
      { status: 400, code: 'invalid_split', param: 'destinations' },
    );
  });

  it('refuses a leg with both amount and percent, or with none', async () => {
    await expectRefused(
      [a, b, c],
      split([
        { wallet_id: b, amount: '5.00', percent: '50' },
        { wallet_id: c, remainder: true },
      ]),
      { status: 400, code: 'invalid_split', param: 'destinations.0' },
    );
    await expectRefused(
      [a, b, c],
      split([
        { wallet_id: b, remainder: true },
        { wallet_id: c, percent: '50', remainder: true },
      ]),
      { status: 400, code: 'invalid_split', param: 'destinations.1' },
    );
    await expectRefused([a, b, c], split([{ wallet_id: b, amount: '5.00' }, { wallet_id: c }]), {
      status: 400,
      code: 'invalid_split',
      param: 'destinations.1',
    });
  });

  it('accepts a split that does add up', async () => {
    const response = await transfer(t, {
      source_wallet_id: a,
      amount: '10.00',
      destinations: [
        { wallet_id: b, amount: '3.00' },
        { wallet_id: c, amount: '7.00' },
      ],
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().destinations).toEqual([
      { wallet_id: b, amount: '3.00' },
      { wallet_id: c, amount: '7.00' },
    ]);
  });
});

describe('wallet references', () => {
  it('same_wallet (400) for a destination or fee wallet that is the source', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const fields = inEachWalletField(a, b, a).filter(({ param }) => param !== 'source_wallet_id');
    for (const { param, payload } of fields) {
      await expectRefused([a, b], () => transfer(t, payload), { status: 400, code: 'same_wallet', param });
    }
  });

  it('404 naming the field of an unknown wallet', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    for (const { param, payload } of inEachWalletField(a, b, unknown_wallet)) {
      await expectRefused([a, b], () => transfer(t, payload), {
        status: 404,
        code: 'resource_not_found',
        param,
      });
    }
    await expectRefused(
      [a],
      () =>
        post('/v1/payments', {
          wallet_id: unknown_wallet,
          amount: '1.00',
          currency: 'USD',
          source: { type: 'card', number: '4242424242424242' },
        }),
      { status: 404, code: 'resource_not_found', param: 'wallet_id' },
    );
  });

  it('404 for a wallet of the other mode', async () => {
    const a = await funded(t, '10.00');
    const live = await newWallet(t, 'USD', {}, t.live_key);
    await expectRefused(
      [a],
      () => transfer(t, { source_wallet_id: a, destination_wallet_id: live, amount: '1.00' }),
      {
        status: 404,
        code: 'resource_not_found',
        param: 'destination_wallet_id',
      },
    );
  });

  it('400 for both destination_wallet_id and destinations, or neither', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const c = await newWallet(t);
    await expectRefused(
      [a, b, c],
      () =>
        transfer(t, {
          source_wallet_id: a,
          destination_wallet_id: b,
          destinations: [{ wallet_id: c, remainder: true }],
          amount: '1.00',
        }),
      { status: 400, code: 'invalid_request', param: 'destination_wallet_id' },
    );
    await expectRefused([a, b], () => transfer(t, { source_wallet_id: a, amount: '1.00' }), {
      status: 400,
      code: 'invalid_request',
      param: 'destination_wallet_id',
    });
  });

  it('400 for 101 destinations, and 100 are accepted', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const legs = (n: number) => Array.from({ length: n }, () => ({ wallet_id: b, amount: '0.01' }));
    await expectRefused(
      [a, b],
      () => transfer(t, { source_wallet_id: a, amount: '1.01', destinations: legs(101) }),
      {
        status: 400,
        code: 'invalid_request',
        param: 'destinations',
      },
    );
    await expectRefused(
      [a, b],
      () => transfer(t, { source_wallet_id: a, amount: '1.00', destinations: [] }),
      {
        status: 400,
        code: 'invalid_request',
        param: 'destinations',
      },
    );
    const hundred = await transfer(t, { source_wallet_id: a, amount: '1.00', destinations: legs(100) });
    expect(hundred.statusCode, hundred.body).toBe(201);
    expect(await balanceOf(t, b)).toEqual({
      available: '1.00',
      held: '0.00',
      pending: '0.00',
      total: '1.00',
    });
  });

  it('400 for an unknown field or a missing required one', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    await expectRefused(
      [a, b],
      () => transfer(t, { source_wallet_id: a, destination_wallet_id: b, amount: '1.00', colour: 'red' }),
      { status: 400, code: 'invalid_request', param: 'colour' },
    );
    await expectRefused([a, b], () => transfer(t, { destination_wallet_id: b, amount: '1.00' }), {
      status: 400,
      code: 'invalid_request',
      param: 'source_wallet_id',
    });
    await expectRefused([a, b], () => transfer(t, { source_wallet_id: a, destination_wallet_id: b }), {
      status: 400,
      code: 'invalid_request',
      param: 'amount',
    });
  });
});

describe('payments', () => {
  const card = (number: string) => ({ type: 'card', number });

  it('a declining sandbox card makes a failed payment that moves no money', async () => {
    const a = await newWallet(t);
    for (const number of ['4000000000000002', '4000000000009995']) {
      const declined = await post('/v1/payments', {
        wallet_id: a,
        amount: '10.00',
        currency: 'USD',
        source: card(number),
      });
      expect(declined.statusCode, declined.body).toBe(201);
      expect(declined.json().status).toBe('failed');
    }
    expect(await balanceOf(t, a)).toEqual({
      available: '0.00',
      held: '0.00',
      pending: '0.00',
      total: '0.00',
    });
    const ok = await post('/v1/payments', {
      wallet_id: a,
      amount: '10.00',
      currency: 'USD',
      source: card('5555555555554444'),
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({
      status: 'succeeded',
      amount: '10.00',
      source: { type: 'card', brand: 'mastercard', last4: '4444' },
    });
  });

  it('refuses an unknown test card', async () => {
    const a = await newWallet(t);
    await expectRefused(
      [a],
      () =>
        post('/v1/payments', {
          wallet_id: a,
          amount: '10.00',
          currency: 'USD',
          source: card('4111111111111111'),
        }),
      { status: 400, code: 'invalid_request', param: 'source.number' },
    );
  });

  it('rail_unavailable (400) for a payment with the live key', async () => {
    const live = await newWallet(t, 'USD', {}, t.live_key);
    await expectRefused(
      [],
      () =>
        post(
          '/v1/payments',
          { wallet_id: live, amount: '10.00', currency: 'USD', source: card('4242424242424242') },
          t.live_key,
        ),
      { status: 400, code: 'rail_unavailable', param: 'source.type' },
    );
    const row = await t.db.pool.query('SELECT posted_credits, posted_debits FROM accounts WHERE id = $1', [
      live,
    ]);
    expect(row.rows).toEqual([{ posted_credits: '0', posted_debits: '0' }]);
  });
});
