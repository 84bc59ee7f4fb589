import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { dumpAsText } from '../test-support/database.js';
import { advanceAndRunJobs } from '../test-support/jobs.js';
import { funded, getJson, newWallet, postOk } from '../test-support/money.js';

/**
 * Issue 16, data protection, "done when": after a run that made holders with names and emails,
 * payments from cards and bank accounts, payouts to bank accounts (sandbox, a schedule, a parked
 * one and a live pain.001 file), a full read of every table as text holds none of them.
 */
const debtor = { name: 'Purse Platform Ltd', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' };
const secrets = {
  holder_name: 'Philippa Quixotica',
  renamed: 'Philippa Q. Zebedee',
  email: 'philippa.quixotica@example.org',
  card: '4242424242424242',
  debit_account: '000123456789',
  payout_holder: 'Bartholomew Ozymandias',
  payout_iban: 'GB29NWBK60161331926819',
  parked_account: '000333333335',
  parked_holder: 'Cornelius Fitzwilliam',
  schedule_holder: 'Drusilla Vanderbeek',
};

let t: TestApp;
beforeAll(async () => {
  // An SMTP server is named so that challenges go by email (nothing is sent in this test).
  t = await createTestApp(
    {},
    {},
    { bank_debtor: debtor },
    {},
    {
      challenges: { smtp: { url: 'smtp://127.0.0.1:9', from: 'codes@purse.test' } },
    },
  );
});
afterAll(() => t.close());

async function live(url: string, payload: Record<string, unknown>) {
  const response = await t.request({ method: 'POST', url, key: t.live_key, payload });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

describe('data at rest', () => {
  it('a dump holds no plain name, email, card or account number after a run that used them all', async () => {
    const holder = await postOk(t, '/v1/holders', { name: secrets.holder_name, email: secrets.email });
    await postOk(t, `/v1/holders/${holder.id}`, { name: secrets.renamed }, 200);
    const wallet = await newWallet(t, 'USD', { holder_id: holder.id });
    const card = await t.request({
      method: 'POST',
      url: '/v1/payments',
      headers: { 'idempotency-key': 'dump-card' },
      payload: {
        wallet_id: wallet,
        amount: '500.00',
        currency: 'USD',
        source: { type: 'card', number: secrets.card, cvc: '123' },
      },
    });
    expect(card.statusCode, card.body).toBe(201);
    await postOk(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '20.00',
      currency: 'USD',
      source: {
        type: 'bank_account',
        account_number: secrets.debit_account,
        routing_number: '110000000',
        account_holder_name: secrets.holder_name,
      },
    });
    await postOk(t, '/v1/payouts', {
      wallet_id: wallet,
      amount: '10.00',
      currency: 'USD',
      destination: {
        type: 'bank_account',
        account_holder_name: secrets.payout_holder,
        account_number: secrets.debit_account,
        routing_number: '110000000',
      },
    });
    await postOk(
      t,
      `/v1/wallets/${wallet}/payout_schedule`,
      {
        interval: 'daily',
        minimum_balance: '400.00',
        destination: {
          type: 'bank_account',
          account_holder_name: secrets.schedule_holder,
          account_number: secrets.debit_account,
          routing_number: '110000000',
        },
      },
      200,
    );
    // A payout parked for review keeps its request: the approval's body.
    const reviewed_wallet = await funded(t, '100.00');
    await postOk(t, '/v1/risk_rules', {
      name: 'review',
      currency: 'USD',
      type: 'amount_above',
      action: 'review',
      amount: '50.00',
    });
    const parked = await postOk(
      t,
      '/v1/payouts',
      {
        wallet_id: reviewed_wallet,
        amount: '60.00',
        currency: 'USD',
        destination: {
          type: 'bank_account',
          account_holder_name: secrets.parked_holder,
          account_number: secrets.parked_account,
          routing_number: '110000000',
        },
      },
      202,
    );
    expect(parked.object).toBe('approval');
    // Live mode: an IBAN payout filed in a pain.001.
    const platform = (await live('/v1/wallets', { currency: 'EUR', overdraft_limit: '1000.00' })).id;
    await live('/v1/payouts', {
      wallet_id: platform,
      amount: '25.00',
      currency: 'EUR',
      destination: {
        type: 'bank_account',
        account_holder_name: secrets.payout_holder,
        iban: secrets.payout_iban,
      },
    });
    await live('/v1/payout_files', { currency: 'EUR' });
    await advanceAndRunJobs(t, 60_000);

    const dump = await dumpAsText(t.db.pool);
    expect(dump).toContain(holder.id);
    for (const [what, value] of Object.entries(secrets))
      expect(dump.includes(value), `${what} in the dump`).toBe(false);
    // Nor a case-changed or JSON-escaped copy of the email.
    expect(dump.toLowerCase()).not.toContain(secrets.email.toLowerCase());
  });

  it("a dump holds no challenge's address or request, and no authenticator secret", async () => {
    const email = 'octavia.step-up@example.org';
    const holder = await postOk(t, '/v1/holders', { name: 'Octavia Stepup', email });
    const wallet = await newWallet(t, 'EUR', { holder_id: holder.id });
    for (const amount of ['300.00', '300.00'])
      await postOk(t, '/v1/payments', {
        wallet_id: wallet,
        amount,
        currency: 'EUR',
        source: { type: 'card', number: secrets.card },
      });
    const rule = await postOk(t, '/v1/risk_rules', {
      name: 'step up',
      type: 'amount_above',
      action: 'challenge',
      currency: 'EUR',
      amount: '500.00',
    });
    const bank = {
      type: 'bank_account',
      account_holder_name: 'Octavia Stepup',
      account_number: '000777777771',
      routing_number: '110000000',
    };
    const parked = await postOk(
      t,
      '/v1/payouts',
      { wallet_id: wallet, amount: '550.00', currency: 'EUR', destination: bank },
      202,
    );
    expect(parked).toMatchObject({ object: 'challenge', channel: 'email' });
    await postOk(t, `/v1/risk_rules/${rule.id}`, { enabled: false }, 200);
    const other = await postOk(t, '/v1/holders', { name: 'Authenticated' });
    const { secret } = await postOk(t, `/v1/holders/${other.id}/authenticator`, {}, 200);
    const dump = await dumpAsText(t.db.pool);
    expect(dump).toContain(parked.id);
    for (const value of [email, 'Octavia Stepup', '000777777771', String(secret)])
      expect(dump.includes(value), `${value} in the dump`).toBe(false);
  });

  it('answers an authorized caller as before: names and emails, numbers as tokens with their last four', async () => {
    const holder = await postOk(t, '/v1/holders', { name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(await getJson(t, `/v1/holders/${holder.id}`)).toMatchObject({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
    });
    const listed = await getJson(t, '/v1/holders?email=ada@example.com');
    expect((listed.data as { id: string }[]).map((found) => found.id)).toEqual([holder.id]);
    const wallet = await funded(t, '50.00');
    const payment = await postOk(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '5.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    });
    expect(payment.source).toMatchObject({
      type: 'card',
      last4: '4242',
      token: expect.stringMatching(/^tok_/),
    });
    const payout = await postOk(t, '/v1/payouts', {
      wallet_id: wallet,
      amount: '5.00',
      currency: 'USD',
      destination: {
        type: 'bank_account',
        account_holder_name: 'Ada Lovelace',
        account_number: '000123456789',
        routing_number: '110000000',
      },
    });
    const shown = (await getJson(t, `/v1/payouts/${payout.id}`)).destination;
    expect(shown).toEqual({
      type: 'bank_account',
      account_holder_name: 'Ada Lovelace',
      last4: '6789',
      routing_number: '110000000',
      token: expect.stringMatching(/^tok_/),
    });
    expect(JSON.stringify(shown)).not.toContain('000123456789');
    // One card, one token: the same number gives the same token.
    const again = await postOk(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '5.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    });
    expect((again.source as { token: string }).token).toBe((payment.source as { token: string }).token);
  });
});
