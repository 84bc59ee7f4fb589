import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { balanceOf, expectProblem, fund, newWallet, post, transfer } from '../test-support/money.js';
import { authenticatorCode } from './codes.js';
import { challengeSettings, createSignInChallenge } from './service.js';
import { checkSignInCode } from './sign-in.js';

// Payments above 500.00 USD ask the paying wallet's holder for a one-time code.
let t: TestApp;
let rule_id: string;
beforeAll(async () => {
  t = await createTestApp();
  const rule = await post(t, '/v1/risk_rules', {
    name: 'Step up above 500',
    type: 'amount_above',
    action: 'challenge',
    currency: 'USD',
    amount: '500.00',
  });
  expect(rule.statusCode, rule.body).toBe(201);
  rule_id = rule.json().id;
});
afterAll(() => t.close());

/** Funds in pay-ins of 500.00: a larger pay-in asks the holder for a code too. */
async function fundBelowThreshold(wallet: string, hundreds: number): Promise<void> {
  for (let left = hundreds; left > 0; left -= 5) await fund(t, wallet, `${Math.min(left, 5)}00.00`);
}

async function holderWallet(hundreds = 10): Promise<{ holder: string; wallet: string }> {
  const holder = await post(t, '/v1/holders', { name: 'Step Up' });
  const wallet = await newWallet(t, 'USD', { holder_id: holder.json().id });
  await fundBelowThreshold(wallet, hundreds);
  return { holder: holder.json().id, wallet };
}

/** A 600.00 transfer from a holder's wallet: answered 202 with a challenge, nothing moved. */
async function challenged(key?: string) {
  const payer = await holderWallet();
  const payee = await newWallet(t);
  const response = await t.request({
    method: 'POST',
    url: '/v1/transfers',
    payload: {
      source_wallet_id: payer.wallet,
      destination_wallet_id: payee,
      amount: '600.00',
      currency: 'USD',
    },
    ...(key === undefined ? {} : { key }),
  });
  expect(response.statusCode, response.body).toBe(202);
  const challenge = response.json();
  expect(challenge).toMatchObject({
    object: 'challenge',
    status: 'requires_action',
    purpose: 'payment',
    holder_id: payer.holder,
    channel: 'sandbox',
    amount: '600.00',
    currency: 'USD',
    risk_rule_id: rule_id,
    attempts_remaining: 5,
  });
  expect((await balanceOf(t, payer.wallet)).available).toBe('1000.00');
  return { challenge: challenge as { id: string }, payer, payee };
}

async function code(id: string): Promise<string> {
  const response = await post(t, `/v1/test_helpers/challenges/${id}/reveal_code`, {});
  expect(response.statusCode, response.body).toBe(200);
  return response.json().code;
}

function confirm(id: string, value: string, key?: string): Promise<LightMyRequestResponse> {
  return t.request({
    method: 'POST',
    url: `/v1/challenges/${id}/confirm`,
    payload: { code: value },
    ...(key === undefined ? {} : { key }),
  });
}

function wrong(right: string): string {
  return String((Number(right) + 1) % 1_000_000).padStart(6, '0');
}

describe('step-up challenges', () => {
  it('run the movement once, in the confirming request, with the right code', async () => {
    const { challenge, payer, payee } = await challenged();
    const sent = await code(challenge.id);
    expectProblem(await confirm(challenge.id, wrong(sent)), 400, 'challenge_code_invalid', 'code');
    expect((await balanceOf(t, payer.wallet)).available).toBe('1000.00');
    const confirmed = await confirm(challenge.id, sent);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: 'succeeded', attempts_remaining: 3 });
    const result = confirmed.json().result;
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ object: 'transfer', status: 'posted', amount: '600.00' });
    expect((await balanceOf(t, payer.wallet)).available).toBe('400.00');
    expect((await balanceOf(t, payee)).available).toBe('600.00');
    // Used once: the same code again moves nothing.
    expectProblem(await confirm(challenge.id, sent), 409, 'challenge_not_pending');
    expect((await balanceOf(t, payer.wallet)).available).toBe('400.00');
  });

  it('ask for a pay-in above the threshold too, from the holder of the wallet paid into', async () => {
    const { holder, wallet } = await holderWallet(0);
    const response = await post(t, '/v1/payments', {
      wallet_id: wallet,
      amount: '750.00',
      currency: 'USD',
      source: { type: 'card', number: '4242424242424242' },
    });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json()).toMatchObject({ holder_id: holder, request: { path: '/v1/payments' } });
    const confirmed = await confirm(response.json().id, await code(response.json().id));
    expect(confirmed.json().result).toMatchObject({ status: 201, body: { status: 'succeeded' } });
    expect((await balanceOf(t, wallet)).available).toBe('750.00');
  });

  it('below the threshold, a movement is not challenged', async () => {
    const payer = await holderWallet();
    const response = await transfer(t, {
      source_wallet_id: payer.wallet,
      destination_wallet_id: await newWallet(t),
      amount: '500.00',
    });
    expect(response.statusCode, response.body).toBe(201);
  });

  it('run the movement exactly once when the right code is sent twice at the same time', async () => {
    const { challenge, payer } = await challenged();
    const sent = await code(challenge.id);
    const answers = await Promise.all([confirm(challenge.id, sent), confirm(challenge.id, sent)]);
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses).toEqual([200, 409]);
    expect((await balanceOf(t, payer.wallet)).available).toBe('400.00');
  });

  it('fail after the attempts allowed, and then refuse the right code', async () => {
    const { challenge, payer } = await challenged();
    const sent = await code(challenge.id);
    for (const remaining of [4, 3, 2, 1, 0]) {
      const answer = await confirm(challenge.id, wrong(sent));
      expectProblem(answer, 400, 'challenge_code_invalid', 'code');
      expect(answer.json().detail).toContain(`${remaining} attempts remain`);
    }
    expectProblem(await confirm(challenge.id, sent), 429, 'challenge_attempts_exceeded');
    const seen = await t.request({ method: 'GET', url: `/v1/challenges/${challenge.id}` });
    expect(seen.json()).toMatchObject({ status: 'failed', attempts_remaining: 0 });
    expect((await balanceOf(t, payer.wallet)).available).toBe('1000.00');
  });

  it('spend no more attempts than allowed when 30 wrong codes and the right one race', async () => {
    const { challenge, payer } = await challenged();
    const sent = await code(challenge.id);
    const guesses = Array.from({ length: 30 }, (_, index) => (index === 15 ? sent : wrong(sent)));
    const answers = await Promise.all(guesses.map((guess) => confirm(challenge.id, guess)));
    const codes = answers.map((answer) => (answer.statusCode === 200 ? 'ok' : answer.json().code));
    // Five attempts were given out: at most five answers looked at a code at all.
    expect(codes.filter((value) => value !== 'challenge_attempts_exceeded').length).toBeLessThanOrEqual(5);
    expect(codes.filter((value) => value === 'challenge_code_invalid').length).toBeLessThanOrEqual(5);
    const { rows } = await t.db.pool.query('SELECT attempts FROM challenges WHERE id = $1', [challenge.id]);
    expect(rows[0].attempts).toBeLessThanOrEqual(5);
    expect(codes.filter((value) => value === 'ok').length).toBeLessThanOrEqual(1);
    const moved = codes.includes('ok') ? '400.00' : '1000.00';
    expect((await balanceOf(t, payer.wallet)).available).toBe(moved);
  });

  it('expire: a code after the deadline moves nothing', async () => {
    const { challenge, payer } = await challenged();
    const sent = await code(challenge.id);
    t.clock.advance(t.config.challenges.ttl_s * 1000 + 1);
    expectProblem(await confirm(challenge.id, sent), 409, 'challenge_expired');
    const seen = await t.request({ method: 'GET', url: `/v1/challenges/${challenge.id}` });
    expect(seen.json().status).toBe('expired');
    expect((await balanceOf(t, payer.wallet)).available).toBe('1000.00');
  });

  it('resend: the new code works and the old one no longer does', async () => {
    const { challenge, payer } = await challenged();
    const first = await code(challenge.id);
    const resent = await post(t, `/v1/challenges/${challenge.id}/resend`, {});
    expect(resent.statusCode, resent.body).toBe(200);
    const second = await code(challenge.id);
    expect(second).not.toBe(first);
    expectProblem(await confirm(challenge.id, first), 400, 'challenge_code_invalid', 'code');
    expect((await confirm(challenge.id, second)).statusCode).toBe(200);
    expect((await balanceOf(t, payer.wallet)).available).toBe('400.00');
  });

  it('cancel: nothing moves, and the code no longer works', async () => {
    const { challenge, payer } = await challenged();
    const sent = await code(challenge.id);
    const canceled = await post(t, `/v1/challenges/${challenge.id}/cancel`, {});
    expect(canceled.json().status).toBe('canceled');
    expectProblem(await confirm(challenge.id, sent), 409, 'challenge_not_pending');
    expect((await balanceOf(t, payer.wallet)).available).toBe('1000.00');
  });

  it("ask the holder's authenticator app once enrolled, and take each of its codes once", async () => {
    const { holder, wallet } = await holderWallet(20);
    const enrolled = await post(t, `/v1/holders/${holder}/authenticator`, {});
    expect(enrolled.statusCode, enrolled.body).toBe(200);
    const { secret, uri } = enrolled.json();
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expectProblem(
      await post(t, `/v1/holders/${holder}/authenticator/activate`, { code: '000000' }),
      400,
      'challenge_code_invalid',
      'code',
    );
    const now = t.clock.now();
    const activated = await post(t, `/v1/holders/${holder}/authenticator/activate`, {
      code: authenticatorCode(secret, now),
    });
    expect(activated.json()).toMatchObject({ status: 'active' });
    expect(activated.json().secret).toBeUndefined();
    // The activation used this step's code: the next one comes with the next step.
    t.clock.advance(30_000);
    const pay = () =>
      transfer(t, { source_wallet_id: wallet, destination_wallet_id: payeeOnce, amount: '600.00' });
    const payeeOnce = await newWallet(t);
    const first = (await pay()).json();
    expect(first).toMatchObject({ status: 'requires_action', channel: 'totp' });
    expectProblem(
      await post(t, `/v1/test_helpers/challenges/${first.id}/reveal_code`, {}),
      409,
      'invalid_state',
    );
    const app_code = authenticatorCode(secret, t.clock.now());
    expect((await confirm(first.id, app_code)).json().status).toBe('succeeded');
    const second = (await pay()).json();
    expectProblem(await confirm(second.id, app_code), 400, 'challenge_code_invalid', 'code');
    t.clock.advance(30_000);
    expect((await confirm(second.id, authenticatorCode(secret, t.clock.now()))).json().status).toBe(
      'succeeded',
    );
    expect((await balanceOf(t, wallet)).available).toBe('800.00');
    const removed = await t.request({ method: 'DELETE', url: `/v1/holders/${holder}/authenticator` });
    expect(removed.json()).toMatchObject({ deleted: true });
  });

  it("park a platform wallet's movement for an operator: no holder can confirm it", async () => {
    const platform = await newWallet(t);
    await fundBelowThreshold(platform, 10);
    const response = await transfer(t, {
      source_wallet_id: platform,
      destination_wallet_id: await newWallet(t),
      amount: '600.00',
    });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json()).toMatchObject({ object: 'approval', reason: 'risk_review' });
  });
});

describe('attacks on challenges', () => {
  it('give every challenge its own code', async () => {
    const codes = new Set<string>();
    for (let index = 0; index < 8; index += 1) codes.add(await code((await challenged()).challenge.id));
    expect(codes.size).toBeGreaterThanOrEqual(7);
  });

  it('run the request once when the right code is sent 20 times at once: one 200, the rest 409', async () => {
    const { challenge, payer } = await challenged();
    const sent = await code(challenge.id);
    const answers = await Promise.all(Array.from({ length: 20 }, () => confirm(challenge.id, sent)));
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    for (const answer of answers.filter((one) => one.statusCode !== 200))
      expect(answer.json().code).toBe('challenge_not_pending');
    expect((await balanceOf(t, payer.wallet)).available).toBe('400.00');
  });

  it('spend no attempt on an idempotent replay of a wrong code', async () => {
    const { challenge } = await challenged();
    const sent = await code(challenge.id);
    const again = () =>
      t.request({
        method: 'POST',
        url: `/v1/challenges/${challenge.id}/confirm`,
        payload: { code: wrong(sent) },
        headers: { 'idempotency-key': `wrong-${challenge.id}` },
      });
    for (let index = 0; index < 6; index += 1)
      expect((await again()).json().code).toBe('challenge_code_invalid');
    expect(
      (await t.request({ method: 'GET', url: `/v1/challenges/${challenge.id}` })).json().attempts_remaining,
    ).toBe(4);
    expect((await confirm(challenge.id, sent)).statusCode).toBe(200);
  });

  it("ask each holder once: a batch moving two holders' money goes to an operator instead", async () => {
    const first = await holderWallet();
    const second = await holderWallet();
    const to = await newWallet(t);
    const response = await post(t, '/v1/transfers/batch', {
      transfers: [
        { source_wallet_id: first.wallet, destination_wallet_id: to, amount: '600.00', currency: 'USD' },
        { source_wallet_id: second.wallet, destination_wallet_id: to, amount: '600.00', currency: 'USD' },
      ],
    });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json()).toMatchObject({ object: 'approval', reason: 'risk_review' });
    expect(response.json().detail).toContain('no one holder can confirm it');
    expect((await balanceOf(t, second.wallet)).available).toBe('1000.00');
  });

  it("never let an approval stand in for the holder's code: an approved request then asks for it", async () => {
    const payer = await holderWallet();
    const agent = await createKey(t, {
      scopes: ['*'],
      spend_policy: { limits: [{ currency: 'USD', approval_above: '100.00' }] },
    });
    const parked = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      payload: {
        source_wallet_id: payer.wallet,
        destination_wallet_id: await newWallet(t),
        amount: '600.00',
        currency: 'USD',
      },
      key: agent.secret,
    });
    expect(parked.json()).toMatchObject({ object: 'approval', reason: 'spend_policy' });
    const approved = await post(t, `/v1/approvals/${parked.json().id}/approve`, {});
    expect(approved.json().result).toMatchObject({
      status: 202,
      body: { object: 'challenge', status: 'requires_action' },
    });
    expect((await balanceOf(t, payer.wallet)).available).toBe('1000.00');
    const id = approved.json().result.body.id;
    expect((await confirm(id, await code(id), agent.secret)).json().result.status).toBe(201);
    expect((await balanceOf(t, payer.wallet)).available).toBe('400.00');
  });

  it('count wrong codes per holder: new challenges buy no new guesses', async () => {
    const payer = await holderWallet(60);
    const payee = await newWallet(t);
    const open = async () =>
      (
        await transfer(t, { source_wallet_id: payer.wallet, destination_wallet_id: payee, amount: '600.00' })
      ).json().id;
    for (let round = 0; round < 4; round += 1) {
      const id = await open();
      const sent = await code(id);
      for (let guess = 0; guess < 5; guess += 1) await confirm(id, wrong(sent));
    }
    const last = await open();
    const refused = await confirm(last, await code(last));
    expectProblem(refused, 429, 'challenge_attempts_exceeded');
    expect(refused.json().detail).toContain('wrong codes in the last 24 hours');
    expect((await balanceOf(t, payer.wallet)).available).toBe('6000.00');
  });

  it("keep agents out of a holder's second factor: no enrolling, removing or changing the email", async () => {
    const { holder } = await holderWallet(0);
    const agent = await createKey(t, {
      scopes: ['*'],
      spend_policy: { limits: [{ currency: 'USD', daily_max: '5000.00' }] },
    });
    const as = (method: 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
      t.request({ method, url, key: agent.secret, ...(payload === undefined ? {} : { payload }) });
    expectProblem(await as('POST', `/v1/holders/${holder}/authenticator`, {}), 403, 'key_restricted');
    expectProblem(await as('DELETE', `/v1/holders/${holder}/authenticator`), 403, 'key_restricted');
    expectProblem(
      await as('POST', `/v1/holders/${holder}`, { email: 'agent@evil.example' }),
      403,
      'key_restricted',
      'email',
    );
    expect((await as('POST', `/v1/holders/${holder}`, { metadata: { note: 'fine' } })).statusCode).toBe(200);
  });

  it('take no code from an authenticator app enrolled after the challenge was made', async () => {
    const { holder, wallet } = await holderWallet();
    const enroll = async () => {
      const { secret } = (await post(t, `/v1/holders/${holder}/authenticator`, {})).json();
      await post(t, `/v1/holders/${holder}/authenticator/activate`, {
        code: authenticatorCode(secret, t.clock.now()),
      });
      return secret as string;
    };
    await enroll();
    t.clock.advance(30_000);
    const pending = (
      await transfer(t, {
        source_wallet_id: wallet,
        destination_wallet_id: await newWallet(t),
        amount: '600.00',
      })
    ).json();
    expect(pending.channel).toBe('totp');
    await t.request({ method: 'DELETE', url: `/v1/holders/${holder}/authenticator` });
    t.clock.advance(1_000);
    const replaced = await enroll();
    t.clock.advance(30_000);
    expectProblem(
      await confirm(pending.id, authenticatorCode(replaced, t.clock.now())),
      400,
      'challenge_code_invalid',
      'code',
    );
    expect((await balanceOf(t, wallet)).available).toBe('1000.00');
  });
});

describe('who may confirm', () => {
  it('a restricted key confirms its own requests only; other keys and modes do not find them', async () => {
    const payer = await holderWallet();
    const agent = await createKey(t, { scopes: ['*'], restrictions: { wallet_ids: [payer.wallet] } });
    const other = await createKey(t, { scopes: ['*'], restrictions: { wallet_ids: [payer.wallet] } });
    const response = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      payload: {
        source_wallet_id: payer.wallet,
        destination_wallet_id: await newWallet(t),
        amount: '600.00',
        currency: 'USD',
      },
      key: agent.secret,
    });
    expect(response.statusCode, response.body).toBe(202);
    const id = response.json().id;
    const sent = await code(id);
    expectProblem(await confirm(id, sent, other.secret), 404, 'resource_not_found');
    expectProblem(await confirm(id, sent, t.live_key), 404, 'resource_not_found');
    expectProblem(
      await post(t, `/v1/test_helpers/challenges/${id}/reveal_code`, {}, other.secret),
      403,
      'key_restricted',
    );
    const bound = await createKey(t, {
      scopes: ['*'],
      spend_policy: { limits: [{ currency: 'USD', daily_max: '5000.00' }] },
    });
    expectProblem(
      await post(t, `/v1/test_helpers/challenges/${id}/reveal_code`, {}, bound.secret),
      404,
      'resource_not_found',
    );
    expectProblem(await confirm(id, sent, bound.secret), 404, 'resource_not_found');
    const listed = await t.request({ method: 'GET', url: '/v1/challenges', key: other.secret });
    expect(listed.json().data.map((item: { id: string }) => item.id)).not.toContain(id);
    // Nobody's attempts were spent by those.
    expect((await confirm(id, sent, agent.secret)).json()).toMatchObject({
      status: 'succeeded',
      attempts_remaining: 4,
    });
    expect((await balanceOf(t, payer.wallet)).available).toBe('400.00');
  });
});

describe('sign-in codes', () => {
  it('sign a holder in once with the right code, and spend an attempt on each wrong one', async () => {
    const holder = (await post(t, '/v1/holders', { name: 'Signing In' })).json().id;
    const issued = await createSignInChallenge(t.db.pool, {
      livemode: false,
      holder_id: holder,
      settings: challengeSettings(t.config),
      now: t.clock.now(),
    });
    if (!issued.ok) throw new Error(issued.error.detail);
    const id = issued.value.id;
    const sent = await code(id);
    const check = (value: string) =>
      checkSignInCode(t.db.pool, {
        livemode: false,
        challenge_id: id,
        code: value,
        now: t.clock.now(),
        holder_wrong_codes_max: 20,
      });
    expect(await check(wrong(sent))).toMatchObject({ ok: false, error: { code: 'challenge_code_invalid' } });
    expect(await check(sent)).toEqual({ ok: true, value: { holder_id: holder } });
    expect(await check(sent)).toMatchObject({ ok: false, error: { code: 'challenge_not_pending' } });
    // Not a payment: the API's confirm does not know it.
    expectProblem(await confirm(id, sent), 404, 'resource_not_found');
  });

  it("count apart from payments: sign-in guesses on public pages never lock a holder's payments", async () => {
    const payer = await holderWallet();
    const settings = challengeSettings(t.config);
    for (let round = 0; round < 5; round += 1) {
      const issued = await createSignInChallenge(t.db.pool, {
        livemode: false,
        holder_id: payer.holder,
        settings,
        now: t.clock.now(),
      });
      if (!issued.ok) throw new Error(issued.error.detail);
      const sent = await code(issued.value.id);
      for (let guess = 0; guess < 5; guess += 1)
        await checkSignInCode(t.db.pool, {
          livemode: false,
          challenge_id: issued.value.id,
          code: wrong(sent),
          now: t.clock.now(),
          holder_wrong_codes_max: 20,
        });
    }
    const pay = await transfer(t, {
      source_wallet_id: payer.wallet,
      destination_wallet_id: await newWallet(t),
      amount: '600.00',
    });
    const id = pay.json().id;
    expect((await confirm(id, await code(id))).json().status).toBe('succeeded');
  });
});
