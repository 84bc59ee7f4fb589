import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../ledger/verify.js';
import { createTestApp, group_commit_modes, type TestApp } from '../test-support/app.js';
import { balanceOf, newWallet, postOk } from '../test-support/money.js';

/**
 * How many database transactions answered these keys: rows committed together share an xmin. (Not
 * the payments' own rows: each request's effect runs in a savepoint, whose rows carry its
 * subtransaction's id.)
 */
async function commitsFor(t: TestApp, keys: string[]): Promise<number> {
  const result = await t.db.pool.query<{ n: string }>(
    'SELECT count(DISTINCT xmin::text) AS n FROM idempotency_keys WHERE key = ANY($1)',
    [keys],
  );
  return Number(result.rows[0]?.n);
}

/** POST /v1/payments with a card, sent again (as a client would) while it answers lock_timeout. */
async function pay(t: TestApp, payload: Record<string, unknown>, idempotency_key: string) {
  for (;;) {
    const response = await t.request({
      method: 'POST',
      url: '/v1/payments',
      headers: { 'idempotency-key': idempotency_key },
      payload: { currency: 'USD', source: { type: 'card', number: '4242424242424242' }, ...payload },
    });
    // Without group commit, parallel payments queue on the clearing account's row lock, and one
    // may wait past lock_wait_ms_max: nothing was written, and the same request may be sent again.
    if (response.statusCode !== 409 || response.json().code !== 'lock_timeout') return response;
  }
}

describe.each(group_commit_modes)('card payments, $name', ({ group_commit }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({}, group_commit);
  });
  afterAll(async () => {
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    await t.close();
  });

  it('writes a burst with fee and split through the hot clearing account, undoing only the refused one', async () => {
    const [platform, partner] = [await newWallet(t), await newWallet(t)];
    const sellers = await Promise.all(Array.from({ length: 30 }, () => newWallet(t)));
    // Its split wallet is frozen once the payment is prepared: the ledger refuses it after the
    // payment row and its card token were written, so only a savepoint can undo them.
    const frozen = await newWallet(t);
    await postOk(t, `/v1/wallets/${frozen}/freeze`, undefined, 200);
    const payloads = sellers.map((seller) => ({
      wallet_id: seller,
      amount: '10.00',
      fee: { amount: '1.00', wallet_id: platform },
      splits: [{ wallet_id: partner, amount: '2.00' }],
    }));
    const refused_at = 17;
    payloads.splice(refused_at, 0, {
      ...(payloads[0] as object),
      splits: [{ wallet_id: frozen, amount: '2.00' }],
    } as never);
    const responses = await Promise.all(payloads.map((payload, i) => pay(t, payload, `burst-${i}`)));
    const refused = responses[refused_at];
    expect(refused?.statusCode, refused?.body).toBe(409);
    expect(refused?.json(), refused?.body).toMatchObject({ code: 'wallet_frozen' });
    const created = responses.filter((response) => response.statusCode === 201);
    expect(created).toHaveLength(30);
    for (const response of created) expect(response.json()).toMatchObject({ status: 'succeeded' });
    expect(await balanceOf(t, platform)).toMatchObject({ available: '30.00' });
    expect(await balanceOf(t, partner)).toMatchObject({ available: '60.00' });
    for (const seller of sellers) expect(await balanceOf(t, seller)).toMatchObject({ available: '7.00' });
    // Nothing of the refused payment stayed: 30 payments, all of them the created ones.
    const stored = await t.db.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM payments WHERE fee_account_id = $1',
      [platform],
    );
    expect(Number(stored.rows[0]?.n)).toBe(30);
    const commits = await commitsFor(
      t,
      payloads.map((_, i) => `burst-${i}`),
    );
    if (group_commit.batch_size_max > 1) expect(commits).toBeLessThan(payloads.length / 2);
    else expect(commits).toBe(payloads.length);
  });

  it('answers every copy of a key with the one payment it made, in parallel', async () => {
    const seller = await newWallet(t);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => pay(t, { wallet_id: seller, amount: '3.00' }, 'one-key')),
    );
    const ids = new Set(responses.map((response) => response.json().id));
    expect(ids.size).toBe(1);
    for (const response of responses) expect(response.statusCode, response.body).toBe(201);
    expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(
      7,
    );
    expect(await balanceOf(t, seller)).toMatchObject({ available: '3.00' });
    // Every copy is audited once: the first as written, the others as replays.
    const audited = await t.db.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM audit_logs WHERE action = 'POST /v1/payments' AND object_id = $1",
      [[...ids][0]],
    );
    expect(Number(audited.rows[0]?.n)).toBe(8);
  });
});
