import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, expectProblem, fund, funded, newWallet, transfer, usd } from '../test-support/money.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const unknown_wallet = 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h';

function batch(payload: Record<string, unknown>, idempotency_key?: string) {
  return t.request({
    method: 'POST',
    url: '/v1/transfers/batch',
    payload,
    ...(idempotency_key === undefined ? {} : { headers: { 'idempotency-key': idempotency_key } }),
  });
}

function item(source_wallet_id: string, destination_wallet_id: string, amount: unknown, extra = {}) {
  return { source_wallet_id, destination_wallet_id, amount, currency: 'USD', ...extra };
}

async function counts(): Promise<Record<string, string>> {
  const result = await t.db.pool.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM transfers) AS transfers,
            (SELECT count(*) FROM postings) AS postings,
            (SELECT count(*) FROM journal_entries) AS journal_entries`,
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('no counts');
  return row;
}

function getTransfer(id: string) {
  return t.request({ method: 'GET', url: `/v1/transfers/${id}` });
}

describe('non-atomic batches', () => {
  it('gives a result per item, creates exactly the good ones, and the balances reflect exactly them', async () => {
    const a = await funded(t, '100.00');
    const poor = await funded(t, '1.00');
    const b = await newWallet(t);
    const c = await newWallet(t);
    const before = await counts();
    const response = await batch({
      transfers: [
        item(a, b, '10.00', { description: 'first' }),
        item(poor, b, '5.00'),
        item(a, unknown_wallet, '1.00'),
        item(a, c, '20.00', { fee: { amount: '1.00' } }),
        item(a, b, '1.001'),
        item(a, a, '1.00'),
      ],
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ object: 'transfer_batch', atomic: false, succeeded: 2, failed: 4 });
    expect(body.results.map((r: { index: number; status: number }) => [r.index, r.status])).toEqual([
      [0, 201],
      [1, 402],
      [2, 404],
      [3, 201],
      [4, 400],
      [5, 400],
    ]);
    const [first, insufficient, unknown, fourth, bad_amount, same] = body.results;
    expect(first.transfer).toMatchObject({
      object: 'transfer',
      status: 'posted',
      source_wallet_id: a,
      amount: '10.00',
      destinations: [{ wallet_id: b, amount: '10.00' }],
      description: 'first',
    });
    expect(first).not.toHaveProperty('error');
    expect(insufficient).not.toHaveProperty('transfer');
    expect(insufficient.error).toMatchObject({
      type: 'urn:purse:problem:insufficient_funds',
      title: expect.any(String),
      status: 402,
      code: 'insufficient_funds',
      param: 'source_wallet_id',
      detail: expect.any(String),
      request_id: response.headers['request-id'],
    });
    expect(unknown.error).toMatchObject({
      status: 404,
      code: 'resource_not_found',
      param: 'destination_wallet_id',
    });
    expect(fourth.transfer).toMatchObject({
      status: 'posted',
      amount: '20.00',
      fee: { amount: '1.00' },
      destinations: [{ wallet_id: c, amount: '19.00' }],
    });
    expect(bad_amount.error).toMatchObject({ status: 400, code: 'invalid_amount', param: 'amount' });
    expect(same.error).toMatchObject({ status: 400, code: 'same_wallet', param: 'destination_wallet_id' });

    for (const created of [first.transfer, fourth.transfer]) {
      const fetched = await getTransfer(created.id);
      expect(fetched.statusCode, fetched.body).toBe(200);
      expect(fetched.json()).toEqual(created);
    }
    const after = await counts();
    expect(Number(after.transfers) - Number(before.transfers)).toBe(2);
    // Transfer one: 2 postings; transfer four: one debit of its source, a credit each to the
    // destination and the fee account.
    expect(Number(after.postings) - Number(before.postings)).toBe(5);
    expect(Number(after.journal_entries) - Number(before.journal_entries)).toBe(2);

    expect(await balanceOf(t, a)).toEqual(usd('70.00'));
    expect(await balanceOf(t, poor)).toEqual(usd('1.00'));
    expect(await balanceOf(t, b)).toEqual(usd('10.00'));
    expect(await balanceOf(t, c)).toEqual(usd('19.00'));
  });

  it('applies items in order against running balances', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const response = await batch({
      transfers: [item(a, b, '4.00'), item(a, b, '4.00'), item(a, b, '4.00')],
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ succeeded: 2, failed: 1 });
    expect(body.results.map((r: { status: number }) => r.status)).toEqual([201, 201, 402]);
    expect(body.results[2].error).toMatchObject({ code: 'insufficient_funds', param: 'source_wallet_id' });
    expect(await balanceOf(t, a)).toEqual(usd('2.00'));
    expect(await balanceOf(t, b)).toEqual(usd('8.00'));
  });

  it('lets a later item spend what an earlier item brought in', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const c = await newWallet(t);
    const response = await batch({
      transfers: [item(b, c, '5.00'), item(a, b, '6.00'), item(b, c, '5.00'), item(b, c, '1.01')],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().results.map((r: { status: number }) => r.status)).toEqual([402, 201, 201, 402]);
    expect(await balanceOf(t, a)).toEqual(usd('4.00'));
    expect(await balanceOf(t, b)).toEqual(usd('1.00'));
    expect(await balanceOf(t, c)).toEqual(usd('5.00'));
  });

  it('holds in a batch reserve funds for the items after them', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const response = await batch({
      transfers: [item(a, b, '7.00', { hold: true }), item(a, b, '3.01'), item(a, b, '3.00')],
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.results.map((r: { status: number }) => r.status)).toEqual([201, 402, 201]);
    expect(body.results[0].transfer.status).toBe('pending');
    expect(await balanceOf(t, a)).toEqual(usd('0.00', '7.00', '0.00', '7.00'));
    expect(await balanceOf(t, b)).toEqual(usd('3.00', '0.00', '7.00', '10.00'));
  });
});

describe('atomic batches', () => {
  it('refuses the whole batch when one item fails, naming transfers.<index>, and creates nothing', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const before = await counts();
    const response = await batch({
      atomic: true,
      transfers: [item(a, b, '4.00'), item(a, b, '4.00'), item(a, b, '4.00')],
    });
    expectProblem(response, 402, 'insufficient_funds', 'transfers.2.source_wallet_id');
    expect(await counts()).toEqual(before);
    expect(await balanceOf(t, a)).toEqual(usd('10.00'));
    expect(await balanceOf(t, b)).toEqual(usd('0.00'));

    const unknown = await batch({
      atomic: true,
      transfers: [item(a, b, '1.00'), item(a, unknown_wallet, '1.00')],
    });
    expectProblem(unknown, 404, 'resource_not_found', 'transfers.1.destination_wallet_id');
    expect(await counts()).toEqual(before);

    const split = await batch({
      atomic: true,
      transfers: [
        item(a, b, '1.00'),
        {
          source_wallet_id: a,
          amount: '2.00',
          currency: 'USD',
          destinations: [
            { wallet_id: b, remainder: true },
            { wallet_id: b, remainder: true },
          ],
        },
      ],
    });
    expectProblem(split, 400, 'invalid_split', 'transfers.1.destinations');
    expect(await counts()).toEqual(before);

    const frozen = await newWallet(t);
    expect((await t.request({ method: 'POST', url: `/v1/wallets/${frozen}/freeze` })).statusCode).toBe(200);
    const frozen_response = await batch({
      atomic: true,
      transfers: [item(a, frozen, '1.00'), item(a, b, '1.00')],
    });
    expect(frozen_response.statusCode, frozen_response.body).toBe(409);
    expect(frozen_response.json().code).toBe('wallet_frozen');
    expect(frozen_response.json().param).toMatch(/^transfers\.0(\.|$)/);
    expect(await counts()).toEqual(before);
    expect(await balanceOf(t, a)).toEqual(usd('10.00'));
  });

  it('creates every item when all succeed', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const c = await newWallet(t);
    const before = await counts();
    const response = await batch({
      atomic: true,
      transfers: [item(a, b, '4.00'), item(a, c, '6.00'), item(b, c, '1.50')],
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ object: 'transfer_batch', atomic: true, succeeded: 3, failed: 0 });
    expect(body.results.map((r: { status: number }) => r.status)).toEqual([201, 201, 201]);
    for (const result of body.results) {
      expect((await getTransfer(result.transfer.id)).json()).toEqual(result.transfer);
    }
    expect(Number((await counts()).transfers) - Number(before.transfers)).toBe(3);
    expect(await balanceOf(t, a)).toEqual(usd('0.00'));
    expect(await balanceOf(t, b)).toEqual(usd('2.50'));
    expect(await balanceOf(t, c)).toEqual(usd('7.50'));
  });
});

describe('batch limits and idempotency', () => {
  it('refuses 1001 items and an empty batch', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const before = await counts();
    const many = Array.from({ length: 1001 }, () => item(a, b, '0.01'));
    expectProblem(await batch({ transfers: many }), 400, 'invalid_request', 'transfers');
    expectProblem(await batch({ transfers: [] }), 400, 'invalid_request', 'transfers');
    expectProblem(await batch({ transfers: [item(a, b, 1)] }), 400, 'invalid_amount', 'transfers.0.amount');
    expect(await counts()).toEqual(before);
  });

  it('accepts 1000 items', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const response = await batch({ transfers: Array.from({ length: 1000 }, () => item(a, b, '0.01')) });
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    expect(response.json()).toMatchObject({ succeeded: 1000, failed: 0 });
    expect(await balanceOf(t, a)).toEqual(usd('0.00'));
    expect(await balanceOf(t, b)).toEqual(usd('10.00'));
  });

  it('replays a batch with the same Idempotency-Key', async () => {
    const a = await funded(t, '10.00');
    const b = await newWallet(t);
    const payload = { transfers: [item(a, b, '3.00'), item(a, unknown_wallet, '1.00'), item(a, b, '2.00')] };
    const first = await batch(payload, 'batch-replay-1');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ succeeded: 2, failed: 1 });
    const before = await counts();
    const second = await batch(payload, 'batch-replay-1');
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    // Stored compressed before sealing (crypto/compression.ts), and replayed byte for byte.
    const stored = await t.db.pool.query<{ response_body: string }>(
      'SELECT response_body FROM idempotency_keys WHERE key = $1',
      ['batch-replay-1'],
    );
    expect(stored.rows[0]?.response_body.endsWith('.z1')).toBe(true);
    expect(await counts()).toEqual(before);
    expect(await balanceOf(t, a)).toEqual(usd('5.00'));
    expect(await balanceOf(t, b)).toEqual(usd('5.00'));

    const reused = await batch({ transfers: [item(a, b, '1.00')] }, 'batch-replay-1');
    expectProblem(reused, 422, 'idempotency_key_reused', 'Idempotency-Key');
    expect(await counts()).toEqual(before);
  });

  it('replays a refused atomic batch as the same problem', async () => {
    const a = await funded(t, '1.00');
    const b = await newWallet(t);
    const payload = { atomic: true, transfers: [item(a, b, '1.00'), item(a, b, '1.00')] };
    const first = await batch(payload, 'batch-replay-2');
    expectProblem(first, 402, 'insufficient_funds', 'transfers.1.source_wallet_id');
    const second = await batch(payload, 'batch-replay-2');
    expect(second.statusCode).toBe(402);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(await balanceOf(t, a)).toEqual(usd('1.00'));
  });
});

describe('listing transfers', () => {
  let a: string;
  let b: string;
  let c: string;
  const ids: string[] = [];
  const times: Date[] = [];

  beforeAll(async () => {
    a = await funded(t, '100.00');
    b = await funded(t, '100.00');
    c = await newWallet(t);
    const make = async (payload: Record<string, unknown>) => {
      t.clock.advance(60_000);
      times.push(t.clock.now());
      const response = await transfer(t, payload);
      expect(response.statusCode, response.body).toBe(201);
      ids.push(response.json().id);
    };
    await make({ source_wallet_id: a, destination_wallet_id: b, amount: '1.00' }); // 0: a → b
    await make({ source_wallet_id: b, destination_wallet_id: c, amount: '2.00' }); // 1: b → c
    await make({ source_wallet_id: a, destination_wallet_id: c, amount: '3.00', hold: true }); // 2: a → c, pending
    await make({
      source_wallet_id: b,
      amount: '4.00',
      destinations: [
        { wallet_id: a, amount: '1.00' },
        { wallet_id: c, remainder: true },
      ],
    }); // 3: b → a, c
    await make({ source_wallet_id: c, destination_wallet_id: b, amount: '0.50', hold: true }); // 4: c → b, then voided
    t.clock.advance(60_000);
    const voided = await t.request({ method: 'POST', url: `/v1/transfers/${ids[4]}/void` });
    expect(voided.statusCode, voided.body).toBe(200);
  });

  function list(query: string) {
    return t.request({ method: 'GET', url: `/v1/transfers?${query}` });
  }

  async function listedIds(query: string): Promise<string[]> {
    const response = await list(query);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().object).toBe('list');
    return response.json().data.map((tr: { id: string }) => tr.id);
  }

  function idsAt(...indexes: number[]): string[] {
    return indexes.map((index) => ids[index] ?? '');
  }

  function time(index: number): string {
    return encodeURIComponent((times[index] ?? new Date(0)).toISOString());
  }

  it('filters by wallet, as source or destination, newest first', async () => {
    expect(await listedIds(`wallet_id=${a}`)).toEqual(idsAt(3, 2, 0));
    expect(await listedIds(`wallet_id=${b}`)).toEqual(idsAt(4, 3, 1, 0));
    expect(await listedIds(`wallet_id=${c}`)).toEqual(idsAt(4, 3, 2, 1));
    expect(await listedIds(`wallet_id=${unknown_wallet}`)).toEqual([]);
  });

  it('filters by status', async () => {
    expect(await listedIds(`wallet_id=${c}&status=pending`)).toEqual(idsAt(2));
    expect(await listedIds(`wallet_id=${c}&status=voided`)).toEqual(idsAt(4));
    expect(await listedIds(`wallet_id=${c}&status=posted`)).toEqual(idsAt(3, 1));
    expect(await listedIds(`wallet_id=${c}&status=expired`)).toEqual([]);
    const pending = (await list('status=pending&limit=100')).json().data as { status: string }[];
    expect(pending.length).toBeGreaterThan(0);
    for (const tr of pending) expect(tr.status).toBe('pending');
    expectProblem(await list('status=done'), 400, 'invalid_request', 'status');
  });

  it('filters by creation time: created_gte inclusive, created_lt exclusive', async () => {
    expect(await listedIds(`wallet_id=${b}&created_gte=${time(1)}`)).toEqual(idsAt(4, 3, 1));
    expect(await listedIds(`wallet_id=${b}&created_lt=${time(1)}`)).toEqual(idsAt(0));
    expect(await listedIds(`created_gte=${time(1)}&created_lt=${time(3)}`)).toEqual(idsAt(2, 1));
    expect(await listedIds(`created_gte=${time(1)}&created_lt=${time(3)}&status=pending`)).toEqual(idsAt(2));
    expect(await listedIds(`created_gte=${time(4)}&created_lt=${time(4)}`)).toEqual([]);
    expectProblem(await list('created_gte=yesterday'), 400, 'invalid_request', 'created_gte');
  });

  it('pages', async () => {
    const first = await list(`wallet_id=${b}&limit=2`);
    expect(first.json().has_more).toBe(true);
    expect(first.json().data.map((tr: { id: string }) => tr.id)).toEqual(idsAt(4, 3));
    const second = await list(`wallet_id=${b}&limit=2&starting_after=${ids[3]}`);
    expect(second.json().has_more).toBe(false);
    expect(second.json().data.map((tr: { id: string }) => tr.id)).toEqual(idsAt(1, 0));
    const back = await list(`wallet_id=${b}&limit=2&ending_before=${ids[0]}`);
    expect(back.json().data.map((tr: { id: string }) => tr.id)).toEqual(idsAt(3, 1));
    expect(back.json().has_more).toBe(true);
    expectProblem(await list(`starting_after=${a}`), 400, 'invalid_cursor', 'starting_after');
  });

  it('shows each transfer as retrieved', async () => {
    const listed = (await list(`wallet_id=${c}`)).json().data;
    for (const tr of listed) expect((await getTransfer(tr.id)).json()).toEqual(tr);
    const split = listed.find((tr: { id: string }) => tr.id === ids[3]);
    expect(split).toMatchObject({
      source_wallet_id: b,
      amount: '4.00',
      status: 'posted',
      destinations: [
        { wallet_id: a, amount: '1.00' },
        { wallet_id: c, amount: '3.00' },
      ],
    });
  });

  it('does not show test transfers to the live key', async () => {
    const live = await t.request({ method: 'GET', url: '/v1/transfers?limit=100', key: t.live_key });
    expect(live.statusCode, live.body).toBe(200);
    expect(live.json().data).toEqual([]);
    expect(
      (await t.request({ method: 'GET', url: `/v1/transfers/${ids[0]}`, key: t.live_key })).statusCode,
    ).toBe(404);
  });
});

describe('trial balance', () => {
  it('balances, with verification ok', async () => {
    const jpy = await newWallet(t, 'JPY');
    await fund(t, jpy, '500', 'JPY');
    const response = await t.request({ method: 'GET', url: '/v1/reports/trial_balance' });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      object: 'trial_balance',
      livemode: false,
      verification: { ok: true, violations: [] },
    });
    const currencies = body.assets.map((asset: { currency: string }) => asset.currency);
    expect(currencies).toEqual(['JPY', 'USD']);
    for (const asset of body.assets) {
      expect(asset.balanced).toBe(true);
      expect(asset.total_debits).toBe(asset.total_credits);
      let sum = 0n;
      for (const account of asset.accounts) {
        const minor = (value: string) => BigInt(value.replace('.', ''));
        expect(minor(account.balance)).toBe(minor(account.credits) - minor(account.debits));
        sum += minor(account.balance);
      }
      expect(sum).toBe(0n);
    }
    const jpy_asset = body.assets.find((asset: { currency: string }) => asset.currency === 'JPY');
    expect(jpy_asset.total_debits).toBe('500');
    expect(jpy_asset.accounts).toContainEqual({
      account_id: jpy,
      kind: 'wallet',
      purpose: null,
      debits: '0',
      credits: '500',
      balance: '500',
    });
  });
});
