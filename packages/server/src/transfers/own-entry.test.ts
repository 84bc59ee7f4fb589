import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, group_commit_modes, type TestApp } from '../test-support/app.js';
import { funded, getJson, newWallet, post, postOk } from '../test-support/money.js';

interface Page {
  data: { transaction_id: string; reason: string; reference_id: string; amount: string }[];
}

describe.each(group_commit_modes)(
  'a transfer is its own journal entry (migration 0045), $name',
  ({ group_commit }) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({}, group_commit);
    });
    afterAll(() => t.close());

    /** The journal rows naming `reference_id`, and the entries its postings name. */
    async function journalOf(reference_id: string) {
      const rows = await t.db.pool.query<{ reason: string }>(
        'SELECT reason FROM ledger_transactions WHERE reference_id = $1 ORDER BY created_at, id',
        [reference_id],
      );
      const named = await t.db.pool.query<{ transaction_id: string }>(
        `SELECT DISTINCT p.transaction_id FROM postings p JOIN journal_entries e ON e.id = p.transaction_id
       WHERE e.reference_id = $1`,
        [reference_id],
      );
      return { rows: rows.rows.map((row) => row.reason), named: named.rows.map((row) => row.transaction_id) };
    }

    it('names its postings by its id and writes no ledger_transactions row; the history reads it', async () => {
      const source = await funded(t, '20.00');
      const destination = await newWallet(t);
      const made = await postOk(t, '/v1/transfers', {
        source_wallet_id: source,
        destination_wallet_id: destination,
        amount: '3.00',
        currency: 'USD',
      });
      expect(await journalOf(made.id)).toEqual({ rows: [], named: [made.id] });
      const page = (await getJson(t, `/v1/wallets/${destination}/transactions`)) as unknown as Page;
      expect(page.data[0]).toMatchObject({
        transaction_id: made.id,
        reason: 'transfer.posted',
        reference_id: made.id,
        amount: '3.00',
        currency: 'USD',
      });
      const listed = await getJson(t, `/v1/transfers?wallet_id=${destination}`);
      expect((listed.data as { id: string }[]).map((row) => row.id)).toEqual([made.id]);

      const batch = await post(t, '/v1/transfers/batch', {
        atomic: true,
        transfers: [
          { source_wallet_id: source, destination_wallet_id: destination, amount: '1.00', currency: 'USD' },
        ],
      });
      expect(batch.statusCode, batch.body).toBe(200);
      const [batched] = batch.json().results as { transfer: { id: string } }[];
      expect(await journalOf(batched?.transfer.id ?? '')).toEqual({
        rows: [],
        named: [batched?.transfer.id],
      });
    });

    it('a hold is its own entry too; its capture is an entry of its own', async () => {
      const source = await funded(t, '20.00');
      const destination = await newWallet(t);
      const held = await postOk(t, '/v1/transfers', {
        source_wallet_id: source,
        destination_wallet_id: destination,
        amount: '4.00',
        currency: 'USD',
        hold: true,
      });
      await postOk(t, `/v1/transfers/${held.id}/capture`, {}, 200);
      const journal = await journalOf(held.id);
      expect(journal.rows).toEqual(['transfer.captured']);
      expect(journal.named).toContain(held.id);
      expect(journal.named).toHaveLength(2);
      const page = (await getJson(t, `/v1/wallets/${source}/transactions`)) as unknown as Page;
      expect(page.data.slice(0, 3).map((row) => row.reason)).toEqual([
        'transfer.captured',
        'transfer.captured',
        'transfer.held',
      ]);
    });
  },
);

describe('what names a transfer entry is guarded in the database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('refuses a posting naming no transfer, one of the other mode, or one that is not its own entry', async () => {
    const source = await funded(t, '10.00');
    const destination = await newWallet(t);
    const accounts = await t.db.pool.query<{ number: string; seq: string }>(
      'SELECT number, postings_count + 1 AS seq FROM accounts WHERE id = ANY($1) ORDER BY id = $2 DESC',
      [[source, destination], source],
    );
    const [debited, credited] = accounts.rows;
    // Two balanced postings naming `transaction_id`, after `setup`, in a transaction rolled back.
    const attempt = async (setup: string, transaction_id: string): Promise<string> => {
      const client = await t.db.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(setup, [source]);
        await client.query(
          `INSERT INTO postings (transaction_id, account_number, account_seq, asset, side, layer, amount,
             posted_after, held_after, incoming_after)
           VALUES ($1, $2, $3, 'USD', 'debit', 'posted', 5, 0, 0, 0), ($1, $4, $5, 'USD', 'credit', 'posted', 5, 0, 0, 0)`,
          [transaction_id, debited?.number, debited?.seq, credited?.number, credited?.seq],
        );
        return 'written';
      } catch (error) {
        return (error as Error).message;
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    };
    const transfer_row = (id: string, own_entry: boolean, livemode: boolean, source_sql: string) =>
      `INSERT INTO transfers (id, livemode, status, source_wallet_id, asset, amount, destinations, hold, own_entry,
         created_at, updated_at)
       VALUES ('${id}', ${livemode}, 'posted', ${source_sql}, 'USD', 5, '[]', false, ${own_entry}, now(), now())`;
    const refused = /missing or mismatched entry/;
    expect(await attempt(transfer_row('tr_own', true, false, '$1'), 'tr_own')).toBe('written');
    expect(await attempt('SELECT $1', 'tr_none')).toMatch(refused);
    expect(await attempt(transfer_row('tr_not_own', false, false, '$1'), 'tr_not_own')).toMatch(refused);
    const live_wallet = `INSERT INTO accounts (id, livemode, asset, kind, floor_minor)
      SELECT 'wal_live_' || $1::text, true, 'USD', 'wallet', 0`;
    expect(
      await attempt(
        `WITH w AS (${live_wallet}) ${transfer_row('tr_live', true, true, "'wal_live_' || $1")}`,
        'tr_live',
      ),
    ).toMatch(refused);
    expect(
      await attempt(
        `INSERT INTO ledger_transactions (id, livemode, reason, reference_id, effective_at)
         SELECT 'txn_live', true, 'test', $1, now()`,
        'txn_live',
      ),
    ).toMatch(refused);
  });

  it('never changes what names the entry, and never deletes a transfer', async () => {
    const source = await funded(t, '10.00');
    const made = await postOk(t, '/v1/transfers', {
      source_wallet_id: source,
      destination_wallet_id: await newWallet(t),
      amount: '1.00',
      currency: 'USD',
    });
    for (const change of ["id = 'tr_other'", 'livemode = true', 'hold = true', 'own_entry = false']) {
      await expect(
        t.db.pool.query(`UPDATE transfers SET ${change} WHERE id = $1`, [made.id]),
      ).rejects.toThrow(/never change/);
    }
    await expect(t.db.pool.query('DELETE FROM transfers WHERE id = $1', [made.id])).rejects.toThrow(
      /permanent/,
    );
    await t.db.pool.query('UPDATE transfers SET refunded_amount = 1 WHERE id = $1', [made.id]);
  });
});
