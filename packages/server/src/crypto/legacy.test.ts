import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { dumpAsText } from '../test-support/database.js';
import { funded, getJson, postOk } from '../test-support/money.js';
import { sealExisting } from './legacy.js';

/** Rows as an installation before migration 0025 wrote them: plain names, payloads and numbers. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const legacy = { name: 'Lenora Oldfield', email: 'lenora.oldfield@example.net', account: '000111111113' };

describe('purse keys seal-existing', () => {
  it('seals and tokenizes what was written before 0025, and the API answers as before', async () => {
    const holder_id = 'hol_legacy0000000000000000001';
    await t.db.pool.query('INSERT INTO holders (id, livemode, name, email) VALUES ($1, false, $2, $3)', [
      holder_id,
      legacy.name,
      legacy.email,
    ]);
    const view = { id: holder_id, object: 'holder', name: legacy.name, email: legacy.email };
    await t.db.pool.query(
      `INSERT INTO events (id, livemode, type, object_id, data, created_at)
       VALUES ('evt_legacy0000000000000000001', false, 'holder.updated', $1, $2, now())`,
      [holder_id, JSON.stringify(view)],
    );
    const destination = {
      type: 'bank_account',
      account_holder_name: legacy.name,
      account_number: legacy.account,
      routing_number: '110000000',
    };
    const payout = await postOk(t, '/v1/payouts', {
      wallet_id: await funded(t, '10.00'),
      amount: '1.00',
      currency: 'USD',
      destination: { ...destination, account_number: '000123456789' },
    });
    const destination_view = { type: 'bank_account', account_holder_name: legacy.name, last4: '1113' };
    await t.db.pool.query('UPDATE payouts SET destination = $2, destination_view = $3 WHERE id = $1', [
      payout.id,
      destination,
      destination_view,
    ]);
    const before = await dumpAsText(t.db.pool);
    expect(before).toContain(legacy.name);
    expect(before).toContain(legacy.account);

    const done = await sealExisting(t.db.pool, t.clock.now());
    expect(done).toMatchObject({ email_hashes: 1, tokenized: 1 });
    expect(done.sealed_values).toBeGreaterThanOrEqual(4);
    const after = await dumpAsText(t.db.pool);
    for (const value of Object.values(legacy)) expect(after).not.toContain(value);

    expect(await getJson(t, `/v1/holders/${holder_id}`)).toMatchObject({
      name: legacy.name,
      email: legacy.email,
    });
    const found = await getJson(t, `/v1/holders?email=${legacy.email}`);
    expect((found.data as { id: string }[]).map((holder) => holder.id)).toEqual([holder_id]);
    const events = await getJson(t, `/v1/events?object_id=${holder_id}`);
    expect(events.data).toMatchObject([{ data: { object: view } }]);
    expect((await getJson(t, `/v1/payouts/${payout.id}`)).destination).toEqual(destination_view);
    // A sealed payload never becomes plain again; events stay immutable otherwise.
    await expect(
      t.db.pool.query(`UPDATE events SET data = '{"id":"x"}' WHERE id = 'evt_legacy0000000000000000001'`),
    ).rejects.toThrow(/immutable/);
    // Once is enough: a second run finds nothing left.
    expect(await sealExisting(t.db.pool, t.clock.now())).toEqual({
      sealed_values: 0,
      email_hashes: 0,
      tokenized: 0,
    });
  });
});
