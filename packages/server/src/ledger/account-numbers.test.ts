import { describe, expect, it } from 'vitest';
import { createTestDatabase, migrateUpTo } from '../test-support/database.js';

const two_wallets = `
  INSERT INTO accounts (id, livemode, asset, kind, floor_minor)
    VALUES ('wal_a', false, 'USD', 'wallet', 0), ('wal_b', false, 'USD', 'wallet', 0);
  INSERT INTO ledger_transactions (id, livemode, reason, reference_id, effective_at)
    VALUES ('txn_1', false, 'test', 'tr_1', now()), ('txn_2', false, 'test', 'tr_2', now())`;

describe('migration 0041', () => {
  it('numbers every account and rewrites each posting with its account number', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const sql = await migrateUpTo(db, '0041_');
      await db.pool.query(`${two_wallets};
        INSERT INTO postings (transaction_id, account_id, account_seq, asset, side, layer, amount,
            posted_after, held_after, incoming_after)
          VALUES ('txn_1', 'wal_a', 1, 'USD', 'debit', 'posted', 5, -5, 0, 0),
                 ('txn_1', 'wal_b', 1, 'USD', 'credit', 'posted', 5, 5, 0, 0)`);
      await db.pool.query(sql);
      const rows = await db.pool.query(
        `SELECT a.id, p.account_seq::int, p.amount::int FROM postings p JOIN accounts a ON a.number = p.account_number
         ORDER BY a.id, p.account_seq`,
      );
      expect(rows.rows).toEqual([
        { id: 'wal_a', account_seq: 1, amount: 5 },
        { id: 'wal_b', account_seq: 1, amount: 5 },
      ]);
      const numbered = await db.pool.query(
        'SELECT count(*)::int AS accounts, count(DISTINCT number)::int AS numbers FROM accounts',
      );
      expect(numbered.rows[0].numbers).toBe(numbered.rows[0].accounts);
      const key = await db.pool.query(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'postings'::regclass AND contype = 'p'`,
      );
      expect(key.rows).toEqual([{ def: 'PRIMARY KEY (account_number, account_seq)' }]);
      await expect(db.pool.query("UPDATE accounts SET number = 1 WHERE id = 'wal_a'")).rejects.toThrow(
        /number/,
      );
    } finally {
      await db.drop();
    }
  });

  it('refuses a posting whose number names no account, or an account of another asset', async () => {
    const db = await createTestDatabase({ migrated: true });
    try {
      await db.pool.query(two_wallets);
      const numbers = await db.pool.query<{ a: string; b: string; none: string }>(
        `SELECT (SELECT number FROM accounts WHERE id = 'wal_a') AS a, (SELECT number FROM accounts WHERE id = 'wal_b') AS b,
           (SELECT max(number) + 1 FROM accounts) AS none`,
      );
      const { a, b, none } = numbers.rows[0] ?? { a: '', b: '', none: '' };
      const insert = (debited: string, credited: string, asset: string) =>
        db.pool.query(
          `INSERT INTO postings (transaction_id, account_number, account_seq, asset, side, layer, amount,
             posted_after, held_after, incoming_after)
           VALUES ('txn_2', $1, 1, $3, 'debit', 'posted', 5, -5, 0, 0), ('txn_2', $2, 1, $3, 'credit', 'posted', 5, 5, 0, 0)`,
          [debited, credited, asset],
        );
      await expect(insert(a, none, 'USD')).rejects.toThrow(/missing or mismatched/);
      await expect(insert(a, b, 'EUR')).rejects.toThrow(/missing or mismatched/);
      await insert(a, b, 'USD');
    } finally {
      await db.drop();
    }
  });
});
