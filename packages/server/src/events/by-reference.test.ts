import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, group_commit_modes, type TestApp } from '../test-support/app.js';
import { funded, getJson, newWallet, postOk } from '../test-support/money.js';
import { sequenceEvents } from './sequencer.js';

interface Listed {
  data: { id: string; type: string; data: { object: Record<string, unknown> } }[];
}

describe.each(group_commit_modes)(
  'events that refer to their transfer (migration 0046), $name',
  ({ group_commit }) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({}, group_commit);
    });
    afterAll(() => t.close());

    async function storedData(object_id: string): Promise<{ type: string; stored: boolean }[]> {
      const rows = await t.db.pool.query<{ type: string; stored: boolean }>(
        'SELECT type, data IS NOT NULL AS stored FROM events WHERE object_id = $1 ORDER BY seq',
        [object_id],
      );
      return rows.rows;
    }

    it('store no copy of a transfer posted at once, and show it as created, after a refund too', async () => {
      const source = await funded(t, '20.00');
      const made = await postOk(t, '/v1/transfers', {
        source_wallet_id: source,
        destination_wallet_id: await newWallet(t),
        amount: '5.00',
        currency: 'USD',
        description: 'rent',
        metadata: { order: 'o_1', a: 'b' },
      });
      expect(await storedData(made.id)).toEqual([{ type: 'transfer.posted', stored: false }]);
      await postOk(t, '/v1/refunds', { transfer_id: made.id, amount: '2.00' });
      const refunded = await t.db.pool.query('SELECT refunded_amount::text FROM transfers WHERE id = $1', [
        made.id,
      ]);
      expect(refunded.rows).toEqual([{ refunded_amount: '200' }]);
      expect(await getJson(t, `/v1/transfers/${made.id}`)).toEqual(made);

      const listed = (await getJson(t, `/v1/events?object_id=${made.id}`)) as unknown as Listed;
      const posted = listed.data.find((event) => event.type === 'transfer.posted');
      expect(posted?.data.object).toEqual(made);
      const one = await getJson(t, `/v1/events/${posted?.id}`);
      expect(one).toEqual(posted);
      await sequenceEvents(t.db.pool, 1_000, t.clock.now());
      expect((await getJson(t, `/v1/events/${posted?.id}`)).data).toEqual({ object: made });
    });

    it('keep the copy of a hold, which changes when captured', async () => {
      const held = await postOk(t, '/v1/transfers', {
        source_wallet_id: await funded(t, '20.00'),
        destination_wallet_id: await newWallet(t),
        amount: '5.00',
        currency: 'USD',
        hold: true,
      });
      await postOk(t, `/v1/transfers/${held.id}/capture`, { amount: '3.00' }, 200);
      expect(await storedData(held.id)).toEqual([
        { type: 'transfer.pending', stored: true },
        { type: 'transfer.captured', stored: true },
      ]);
      const listed = (await getJson(t, `/v1/events?object_id=${held.id}`)) as unknown as Listed;
      const pending = listed.data.find((event) => event.type === 'transfer.pending');
      expect(pending?.data.object).toEqual(held);
    });
  },
);

describe('what an event by reference relies on is guarded in the database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('refuses any change of a transfer posted at once but its refunds, and data left out of another event', async () => {
    const made = await postOk(t, '/v1/transfers', {
      source_wallet_id: await funded(t, '10.00'),
      destination_wallet_id: await newWallet(t),
      amount: '1.00',
      currency: 'USD',
    });
    const change = (set: string) => t.db.pool.query(`UPDATE transfers SET ${set} WHERE id = $1`, [made.id]);
    for (const set of [
      `metadata = '{"a":"b"}'`,
      "description = 'edited'",
      'amount = 2',
      "status = 'voided'",
      `destinations = '[]'`,
      'created_at = now()',
      'updated_at = now()',
    ]) {
      await expect(change(set), set).rejects.toThrow(/only its refunded amounts change/);
    }
    await change(`refunded_amount = 1, refunded_parts = '["1"]'`);
    await expect(
      t.db.pool.query(
        `INSERT INTO events (id, livemode, type, object_id, data, created_at)
         VALUES ('evt_no_data', false, 'holder.created', 'hol_1', NULL, now())`,
      ),
    ).rejects.toThrow(/events_data_by_reference/);
  });
});
