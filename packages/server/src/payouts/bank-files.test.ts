import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCamt054, parsePain001 } from '../rails/iso20022/index.js';
import type { NotifiedOutcome } from '../rails/iso20022/types.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { expectProblem } from '../test-support/money.js';

const debtor = { name: 'Purse Platform Ltd', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' };
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({}, {}, { bank_debtor: debtor });
});
afterAll(() => t.close());

/** A request with the live-mode key. */
async function live(
  method: 'GET' | 'POST',
  url: string,
  payload?: Record<string, unknown>,
  status = method === 'GET' ? 200 : 201,
) {
  const response = await t.request({
    method,
    url,
    key: t.live_key,
    ...(payload === undefined ? {} : { payload }),
  });
  expect(response.statusCode, response.body).toBe(status);
  return response;
}

async function liveWallet(extra: Record<string, unknown> = {}): Promise<string> {
  return (await live('POST', '/v1/wallets', { currency: 'EUR', ...extra })).json().id;
}

async function available(wallet: string): Promise<string> {
  return (await live('GET', `/v1/wallets/${wallet}`)).json().balance.available;
}

/** The bank reads our pain.001 and notifies the outcome of each payout in a camt.054. */
function bankAnswers(
  pain001: string,
  message_id: string,
  outcomeOf: (payout_id: string) => NotifiedOutcome | undefined,
): string {
  const batch = parsePain001(pain001);
  if (!batch.ok) throw new Error(batch.error.detail);
  const entries = batch.value.payouts.flatMap((payout, index) => {
    const outcome = outcomeOf(payout.payout_id);
    if (outcome === undefined) return [];
    return [
      {
        ...outcome,
        end_to_end_id: payout.payout_id,
        amount: payout.amount,
        currency: payout.currency,
        booking_date: '2026-11-24',
        account_servicer_reference: `REF-${message_id}-${index}`,
      },
    ];
  });
  const xml = buildCamt054({ message_id, created_at: new Date(), account: { iban: debtor.iban }, entries });
  if (!xml.ok) throw new Error(xml.error.detail);
  return xml.value;
}

describe('the ISO 20022 bank-file rail (live mode)', () => {
  it('files pending payouts in a pain.001, and the bank camt.054 marks them paid, failed or returned, once', async () => {
    const platform = await liveWallet({ overdraft_limit: '10000.00' });
    const seller = await liveWallet();
    await live('POST', '/v1/transfers', {
      source_wallet_id: platform,
      destination_wallet_id: seller,
      amount: '1000.00',
      currency: 'EUR',
    });
    const destinations = [
      {
        type: 'bank_account',
        account_holder_name: "O'Brien & Sons <Ltd>",
        iban: 'GB29NWBK60161331926819',
        bic: 'NWBKGB2L',
      },
      { type: 'bank_account', account_holder_name: 'Ada Lovelace', iban: 'FR1420041010050500013M02606' },
      {
        type: 'bank_account',
        account_holder_name: 'Grace Hopper',
        account_number: '000123456789',
        routing_number: '110000000',
      },
    ];
    const payouts: string[] = [];
    for (const [index, destination] of destinations.entries()) {
      const payout = (
        await live('POST', '/v1/payouts', {
          wallet_id: seller,
          amount: `${100 * (index + 1)}.00`,
          currency: 'EUR',
          destination,
          description: `Week 47 #${index}`,
        })
      ).json();
      expect(payout).toMatchObject({ status: 'pending', rail: 'bank_file' });
      payouts.push(payout.id);
    }
    expect(await available(seller)).toBe('400.00');

    const file = (await live('POST', '/v1/payout_files', { currency: 'EUR' })).json();
    expect(file).toMatchObject({
      object: 'payout_file',
      format: 'pain.001.001.09',
      payout_count: 3,
      total_amount: '600.00',
      currency: 'EUR',
    });
    expectProblem(
      await t.request({
        method: 'POST',
        url: '/v1/payout_files',
        key: t.live_key,
        payload: { currency: 'EUR' },
      }),
      409,
      'invalid_state',
      'currency',
    );
    for (const id of payouts)
      expect((await live('GET', `/v1/payouts/${id}`)).json()).toMatchObject({
        status: 'in_transit',
        file_id: file.id,
      });

    const download = await live('GET', `/v1/payout_files/${file.id}/xml`);
    expect(download.headers['content-type']).toMatch(/^application\/xml/);
    const sent = parsePain001(download.body);
    expect(sent.ok && sent.value.payouts.map((p) => [p.payout_id, p.amount, p.creditor.name])).toEqual([
      [payouts[0], '100.00', "O'Brien & Sons <Ltd>"],
      [payouts[1], '200.00', 'Ada Lovelace'],
      [payouts[2], '300.00', 'Grace Hopper'],
    ]);

    const first = bankAnswers(download.body, 'NTF-1', (id) =>
      id === payouts[1] ? { outcome: 'returned', return_reason_code: 'AC04' } : { outcome: 'paid' },
    );
    const imported = (await live('POST', '/v1/bank_statements', { xml: first })).json();
    expect(imported.entries.map((e: { outcome: string }) => e.outcome)).toEqual(['paid', 'failed', 'paid']);
    expect((await live('GET', `/v1/payouts/${payouts[1]}`)).json()).toMatchObject({
      status: 'failed',
      failure_code: 'account_closed',
    });
    expect(await available(seller)).toBe('600.00');

    // The same file again: the first import, nothing moves.
    const again = (await live('POST', '/v1/bank_statements', { xml: first })).json();
    expect(again.id).toBe(imported.id);
    expect(await available(seller)).toBe('600.00');

    // Days later the bank returns a payout it had paid; a repeated report of it changes nothing.
    const later = bankAnswers(download.body, 'NTF-2', (id) =>
      id === payouts[2]
        ? { outcome: 'returned', return_reason_code: 'AC01' }
        : id === payouts[0]
          ? { outcome: 'paid' }
          : undefined,
    );
    const returned = (await live('POST', '/v1/bank_statements', { xml: later })).json();
    expect(returned.entries.map((e: { outcome: string }) => e.outcome)).toEqual(['unchanged', 'returned']);
    expect((await live('GET', `/v1/payouts/${payouts[2]}`)).json()).toMatchObject({
      status: 'returned',
      failure_code: 'invalid_account_number',
    });
    expect(await available(seller)).toBe('900.00');
    const repeat = bankAnswers(download.body, 'NTF-3', (id) =>
      id === payouts[2] ? { outcome: 'returned', return_reason_code: 'AC01' } : undefined,
    );
    expect((await live('POST', '/v1/bank_statements', { xml: repeat })).json().entries[0].outcome).toBe(
      'unchanged',
    );
    expect(await available(seller)).toBe('900.00');
  });

  it('refuses files it cannot read, writing nothing', async () => {
    for (const xml of [
      'not xml',
      '<Document xmlns="urn:example"/>',
      '<!DOCTYPE x [<!ENTITY a "b">]><Document/>',
    ]) {
      expectProblem(
        await t.request({ method: 'POST', url: '/v1/bank_statements', key: t.live_key, payload: { xml } }),
        400,
        'bank_file_invalid',
        'xml',
      );
    }
    expect(
      (
        await t.db.pool.query('SELECT count(*)::int AS n FROM bank_statements WHERE message_id LIKE $1', [
          'X%',
        ])
      ).rows[0].n,
    ).toBe(0);
  });

  it('in test mode bank payouts use the sandbox, not files; without a debtor account live payouts are refused', async () => {
    const bare = await createTestApp();
    try {
      const platform = (
        await bare.request({
          method: 'POST',
          url: '/v1/wallets',
          key: bare.live_key,
          payload: { currency: 'EUR', overdraft_limit: '10.00' },
        })
      ).json().id;
      const refused = await bare.request({
        method: 'POST',
        url: '/v1/payouts',
        key: bare.live_key,
        payload: {
          wallet_id: platform,
          amount: '1.00',
          currency: 'EUR',
          destination: { type: 'bank_account', account_holder_name: 'A', iban: 'DE89370400440532013000' },
        },
      });
      expectProblem(refused, 400, 'rail_unavailable', 'destination.type');
    } finally {
      await bare.close();
    }
    expectProblem(
      await t.request({ method: 'POST', url: '/v1/payout_files', payload: { currency: 'EUR' } }),
      409,
      'invalid_state',
      'currency',
    );
  });
});

describe('who may write bank files', () => {
  /** A live key made by the operator's key. */
  const liveKey = (payload: Record<string, unknown>) =>
    createKey(t, { mode: 'live', ...payload }, t.live_key);
  const as = (key: string, url: string, payload: Record<string, unknown>) =>
    t.request({ method: 'POST', url, key, payload });

  it('a key that may pay out cannot import a statement that returns its own payout; an operator key can (second attack, F3)', async () => {
    const platform = await liveWallet({ overdraft_limit: '1000.00' });
    const wallet = await liveWallet();
    await live('POST', '/v1/transfers', {
      source_wallet_id: platform,
      destination_wallet_id: wallet,
      amount: '100.00',
      currency: 'EUR',
    });
    const policy = { limits: [{ currency: 'EUR', daily_max: '100.00' }] };
    const agent = await liveKey({ scopes: ['payouts:write'], spend_policy: policy });
    const sent = await as(agent.secret, '/v1/payouts', {
      wallet_id: wallet,
      amount: '100.00',
      currency: 'EUR',
      destination: {
        type: 'bank_account',
        account_holder_name: 'Agent Owner',
        iban: 'GB29NWBK60161331926819',
      },
    });
    expect(sent.statusCode, sent.body).toBe(201);
    const payout = sent.json().id;
    const file = (await live('POST', '/v1/payout_files', { currency: 'EUR' })).json();
    const pain001 = (await live('GET', `/v1/payout_files/${file.id}/xml`)).body;
    // The file carries every destination's full account number: not for a key that may only read payouts.
    const reader = await liveKey({ scopes: ['payouts:read'] });
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/payout_files/${file.id}/xml`, key: reader.secret }),
      403,
      'insufficient_scope',
      'bank_files:read',
    );
    const agent_reader = await liveKey({
      scopes: ['bank_files:read'],
      spend_policy: { limits: [{ currency: 'EUR', per_movement_max: '10.00' }] },
    });
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/payout_files/${file.id}/xml`, key: agent_reader.secret }),
      403,
      'key_restricted',
    );
    const forged = bankAnswers(pain001, 'F3-FORGED', (id) =>
      id === payout ? { outcome: 'returned', return_reason_code: 'AC04' } : undefined,
    );

    // payouts:write does not reach the bank files...
    expectProblem(
      await as(agent.secret, '/v1/bank_statements', { xml: forged }),
      403,
      'insufficient_scope',
      'bank_files:write',
    );
    // ...and even with their scope, a policy-bound or restricted key may not write them.
    const bound = await liveKey({ scopes: ['payouts:write', 'bank_files:write'], spend_policy: policy });
    const restricted = await liveKey({
      scopes: ['bank_files:write'],
      restrictions: { wallet_ids: [wallet] },
    });
    for (const key of [bound, restricted]) {
      expectProblem(await as(key.secret, '/v1/bank_statements', { xml: forged }), 403, 'key_restricted');
      expectProblem(await as(key.secret, '/v1/payout_files', { currency: 'EUR' }), 403, 'key_restricted');
    }
    expect((await live('GET', `/v1/payouts/${payout}`)).json().status).toBe('in_transit');
    expect(await available(wallet)).toBe('0.00');

    // The operator's key, with bank_files:write alone, imports what the bank says.
    const operator = await liveKey({ scopes: ['bank_files:write'] });
    const imported = await as(operator.secret, '/v1/bank_statements', { xml: forged });
    expect(imported.statusCode, imported.body).toBe(201);
    expect((await live('GET', `/v1/payouts/${payout}`)).json().status).toBe('failed');
    expect(await available(wallet)).toBe('100.00');
  });
});
