import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../ledger/verify.js';
import { lockKeys } from '../requests/idempotency-store.js';
import { createTestApp, group_commit_modes, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, newWallet, transfer } from '../test-support/money.js';

/** How many database transactions wrote these transfers: rows committed together share an xmin. */
async function commitsFor(t: TestApp, ids: string[]): Promise<number> {
  const result = await t.db.pool.query<{ n: string }>(
    'SELECT count(DISTINCT xmin::text) AS n FROM transfers WHERE id = ANY($1)',
    [ids],
  );
  return Number(result.rows[0]?.n);
}

describe.each(group_commit_modes)('$name', ({ group_commit }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({}, group_commit);
  });
  afterAll(async () => {
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    await t.close();
  });

  it('commits a burst of transfers that all pay one fee wallet, refusing only the unfunded', async () => {
    const fee_wallet = await newWallet(t);
    const payee = await newWallet(t);
    const payers = await Promise.all(Array.from({ length: 40 }, () => newWallet(t)));
    for (const payer of payers.slice(0, 30)) await fund(t, payer, '10.00');
    const responses = await Promise.all(
      payers.flatMap((payer, i) =>
        [0, 1].map((n) =>
          transfer(
            t,
            {
              source_wallet_id: payer,
              destination_wallet_id: payee,
              amount: '5.00',
              fee: { amount: '0.50', wallet_id: fee_wallet },
            },
            `burst-${i}-${n}`,
          ),
        ),
      ),
    );
    const created = responses.filter((response) => response.statusCode === 201);
    const refused = responses.filter((response) => response.statusCode === 402);
    expect(created).toHaveLength(60);
    expect(refused).toHaveLength(20);
    for (const response of refused) expect(response.json().code).toBe('insufficient_funds');
    expect(await balanceOf(t, fee_wallet)).toMatchObject({ available: '30.00' });
    expect(await balanceOf(t, payee)).toMatchObject({ available: '270.00' });
    const commits = await commitsFor(
      t,
      created.map((response) => response.json().id),
    );
    if (group_commit.batch_size_max > 1) expect(commits).toBeLessThan(created.length);
    else expect(commits).toBe(created.length);
  });

  it('writes a burst of test-mode and live-mode transfers in shared transactions', async () => {
    const [test_payer, test_payee] = [await newWallet(t), await newWallet(t)];
    await fund(t, test_payer, '100.00');
    const live_payer = await newWallet(t, 'USD', { overdraft_limit: '100.00' }, t.live_key);
    const live_payee = await newWallet(t, 'USD', {}, t.live_key);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? transfer(
              t,
              { source_wallet_id: test_payer, destination_wallet_id: test_payee, amount: '1.00' },
              `mixed-${i}`,
            )
          : t.request({
              method: 'POST',
              url: '/v1/transfers',
              key: t.live_key,
              headers: { 'idempotency-key': `mixed-${i}` },
              payload: {
                source_wallet_id: live_payer,
                destination_wallet_id: live_payee,
                amount: '1.00',
                currency: 'USD',
              },
            }),
      ),
    );
    for (const response of responses) expect(response.statusCode, response.body).toBe(201);
    // Rows committed together share an xmin: some transaction must hold transfers of both modes.
    const mixed = await t.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT xmin::text FROM transfers WHERE id = ANY($1)
       GROUP BY xmin::text HAVING count(DISTINCT livemode) = 2) AS commits`,
      [responses.map((response) => response.json().id)],
    );
    if (group_commit.batch_size_max > 1) expect(mixed.rows[0]?.n).toBeGreaterThan(0);
    else expect(mixed.rows[0]?.n).toBe(0);
  });

  it('executes a key sent twice in one burst once, and replays it', async () => {
    const [a, b] = [await newWallet(t), await newWallet(t)];
    await fund(t, a, '10.00');
    const payload = { source_wallet_id: a, destination_wallet_id: b, amount: '1.00' };
    const burst = await Promise.all([transfer(t, payload, 'twice'), transfer(t, payload, 'twice')]);
    // Another body under the key, after the burst (in the burst, it could be the one executed).
    const responses = [...burst, await transfer(t, { ...payload, amount: '2.00' }, 'twice')];
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([201, 201, 422]);
    const ids = new Set(
      responses.filter((response) => response.statusCode === 201).map((response) => response.json().id),
    );
    expect(ids.size).toBe(1);
    expect(await balanceOf(t, b)).toMatchObject({ available: '1.00' });
    expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(
      1,
    );
  });

  it('undoes a refused atomic batch alone, while transfers flushed around it commit', async () => {
    const [rich, poor, payee] = [await newWallet(t), await newWallet(t), await newWallet(t)];
    await fund(t, rich, '100.00');
    await fund(t, poor, '1.00');
    const atomic = t.request({
      method: 'POST',
      url: '/v1/transfers/batch',
      payload: {
        atomic: true,
        transfers: [
          { source_wallet_id: rich, destination_wallet_id: payee, amount: '1.00', currency: 'USD' },
          { source_wallet_id: poor, destination_wallet_id: payee, amount: '5.00', currency: 'USD' },
        ],
      },
    });
    const singles = Array.from({ length: 10 }, (_, i) =>
      transfer(
        t,
        { source_wallet_id: rich, destination_wallet_id: payee, amount: '2.00' },
        `around-atomic-${i}`,
      ),
    );
    const [refused, ...created] = await Promise.all([atomic, ...singles]);
    expect(refused?.statusCode).toBe(402);
    expect(refused?.json()).toMatchObject({
      code: 'insufficient_funds',
      param: 'transfers.1.source_wallet_id',
    });
    for (const response of created) expect(response.statusCode, response.body).toBe(201);
    expect(await balanceOf(t, payee)).toMatchObject({ available: '20.00' });
    expect(await balanceOf(t, rich)).toMatchObject({ available: '80.00' });
  });
});

describe('lock waits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ idempotency_wait_ms_max: 300, lock_wait_ms_max: 300 });
  });
  afterAll(async () => {
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    await t.close();
  });

  /** Runs `body` while another transaction holds `lock` (a statement taking a lock), then lets go. */
  async function whileHeld<T>(lock: (db: pg.Client) => Promise<unknown>, body: () => Promise<T>): Promise<T> {
    const blocker = new pg.Client({ connectionString: t.db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await lock(blocker);
      return await body();
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
  }

  it('answers 409 idempotency_key_in_use with Retry-After while another request holds the key, then executes a retry', async () => {
    const [payer, payee] = [await newWallet(t), await newWallet(t)];
    await fund(t, payer, '10.00');
    const payload = { source_wallet_id: payer, destination_wallet_id: payee, amount: '1.00' };
    const key_id = (
      await t.db.pool.query<{ id: string }>('SELECT id FROM api_keys WHERE livemode = false LIMIT 1')
    ).rows[0]?.id;
    const held = await whileHeld(
      (db) => lockKeys(db as never, [{ api_key_id: key_id ?? '', key: 'held-transfer' }]),
      () => transfer(t, payload, 'held-transfer'),
    );
    expect(held.statusCode, held.body).toBe(409);
    expect(held.json()).toMatchObject({ code: 'idempotency_key_in_use' });
    expect(held.headers['retry-after']).toBe('1');
    expect((await transfer(t, payload, 'held-transfer')).statusCode).toBe(201);
    expect(await balanceOf(t, payee)).toMatchObject({ available: '1.00' });
  });

  it('answers 409 lock_timeout with Retry-After when an account stays locked past the wait, on the transfer and the capture paths', async () => {
    const [payer, payee] = [await newWallet(t), await newWallet(t)];
    await fund(t, payer, '10.00');
    const payload = { source_wallet_id: payer, destination_wallet_id: payee, amount: '1.00' };
    const hold = await transfer(t, { ...payload, hold: true }, 'lock-hold');
    expect(hold.statusCode, hold.body).toBe(201);
    const [single, capture] = await whileHeld(
      (db) => db.query('SELECT 1 FROM accounts WHERE id = ANY($1) FOR UPDATE', [[payer, payee]]),
      async () => [
        await transfer(t, payload, 'lock-single'),
        await t.request({
          method: 'POST',
          url: `/v1/transfers/${hold.json().id}/capture`,
          headers: { 'idempotency-key': 'lock-capture' },
          payload: {},
        }),
      ],
    );
    for (const response of [single, capture]) {
      expect(response?.statusCode, response?.body).toBe(409);
      expect(response?.json()).toMatchObject({ code: 'lock_timeout' });
      expect(response?.headers['retry-after']).toBe('1');
    }
    // Nothing was recorded under either key: the same requests succeed once the accounts are free.
    expect((await transfer(t, payload, 'lock-single')).statusCode).toBe(201);
    const retried = await t.request({
      method: 'POST',
      url: `/v1/transfers/${hold.json().id}/capture`,
      headers: { 'idempotency-key': 'lock-capture' },
      payload: {},
    });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(await balanceOf(t, payee)).toMatchObject({ available: '2.00' });
  });
});

describe('queue', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({}, { batch_size_max: 100, flushes_in_flight_max: 1, queued_transfers_max: 3 });
  });
  afterAll(async () => {
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    await t.close();
  });

  /**
   * Sends a first transfer whose batch waits on a row lock held from outside, then `burst` while
   * it waits (so the burst queues behind it), and releases the lock once the burst has arrived:
   * once `answered_early` of its requests are answered (those the queue refuses at once), or
   * after a grace when none is.
   */
  async function behindALockedBatch<T>(burst: () => Promise<T>[], answered_early = 0): Promise<T[]> {
    const [payer, payee] = [await newWallet(t), await newWallet(t)];
    await fund(t, payer, '10.00');
    const blocker = new pg.Client({ connectionString: t.db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [payer]);
    const first = transfer(t, { source_wallet_id: payer, destination_wallet_id: payee, amount: '1.00' });
    for (let tries = 0; (await lockWaiters(t)) === 0; tries += 1) {
      expect(tries).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const responses = burst();
    let answered = 0;
    for (const response of responses) void response.then(() => (answered += 1));
    if (answered_early === 0) await new Promise((resolve) => setTimeout(resolve, 500));
    for (let tries = 0; answered < answered_early; tries += 1) {
      expect(tries).toBeLessThan(500);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await blocker.query('COMMIT');
    await blocker.end();
    expect((await first).statusCode).toBe(201);
    return Promise.all(responses);
  }

  it('answers 503 queue_full with Retry-After past queued_transfers_max, and writes the queued ones', async () => {
    const [payer, payee] = [await newWallet(t), await newWallet(t)];
    await fund(t, payer, '10.00');
    const payload = { source_wallet_id: payer, destination_wallet_id: payee, amount: '1.00' };
    const responses = await behindALockedBatch(
      () => Array.from({ length: 5 }, (_, i) => transfer(t, payload, `queue-full-${i}`)),
      2,
    );
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 201, 201, 503, 503]);
    for (const response of responses.filter((response) => response.statusCode === 503)) {
      expect(response.json()).toMatchObject({ code: 'queue_full', status: 503 });
      expect(response.headers['retry-after']).toBe('1');
    }
    expect(await balanceOf(t, payee)).toMatchObject({ available: '3.00' });
  });

  it('holds back only the second request with a key already in the batch: the others share one commit, it replays', async () => {
    const [payer, payee] = [await newWallet(t), await newWallet(t)];
    await fund(t, payer, '10.00');
    const payload = { source_wallet_id: payer, destination_wallet_id: payee, amount: '1.00' };
    const [first, other, again] = await behindALockedBatch(() => [
      transfer(t, payload, 'dup-in-batch'),
      transfer(t, { ...payload, amount: '2.00' }, 'dup-other'),
      transfer(t, payload, 'dup-in-batch'),
    ]);
    const created = [first, again].filter((response) => response?.headers['idempotent-replayed'] !== 'true');
    const replayed = [first, again].filter((response) => response?.headers['idempotent-replayed'] === 'true');
    expect(created).toHaveLength(1);
    expect(replayed).toHaveLength(1);
    expect(replayed[0]?.body).toBe(created[0]?.body);
    expect(other?.statusCode).toBe(201);
    expect(await commitsFor(t, [created[0]?.json().id, other?.json().id])).toBe(1);
    expect(await balanceOf(t, payee)).toMatchObject({ available: '3.00' });
  });
});

describe('shutdown', () => {
  it('finishes every transfer already submitted before close() returns, so the pool can close after', async () => {
    const t = await createTestApp({}, { batch_size_max: 100, flushes_in_flight_max: 1 });
    const [payer, payee] = [await newWallet(t), await newWallet(t)];
    await fund(t, payer, '10.00');
    // Hold the payer's row from outside the pool, so the first batch waits on it and the other
    // requests queue behind it.
    const blocker = new pg.Client({ connectionString: t.db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [payer]);
    const responses = Array.from({ length: 5 }, (_, i) =>
      transfer(t, { source_wallet_id: payer, destination_wallet_id: payee, amount: '1.00' }, `drain-${i}`),
    );
    for (let tries = 0; (await lockWaiters(t)) === 0; tries += 1) {
      expect(tries).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = t.app.close();
    setTimeout(() => void blocker.query('COMMIT'), 200);
    await closed;
    await blocker.end();
    await t.db.drop();
    const statuses = (await Promise.all(responses)).map((response) => response.statusCode);
    expect(statuses).toEqual([201, 201, 201, 201, 201]);
  });
});

async function lockWaiters(t: TestApp): Promise<number> {
  const result = await t.db.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
  );
  return result.rows[0]?.n ?? 0;
}
