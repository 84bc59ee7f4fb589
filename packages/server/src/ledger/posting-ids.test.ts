import { describe, expect, it } from 'vitest';
import { createTestDatabase, migrateUpTo } from '../test-support/database.js';
import { postingId, postingSeqOf } from './posting-ids.js';

describe('posting ids', () => {
  const wallet = 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h';

  it('name the account and the number, and read back only for that account', () => {
    const id = postingId(wallet, 42n);
    expect(id).toBe('pst_01jd0w3n3w8m5t5vq6fz1y2k3h_42');
    expect(postingSeqOf(id, wallet)).toBe(42n);
    expect(postingSeqOf(id, 'wal_01jd0w3n3w8m5t5vq6fz1y2k3j')).toBeUndefined();
  });

  it('refuse what no posting is called: no number, zero, leading zeros, past bigint', () => {
    for (const id of [
      'pst_01jd0w3n3w8m5t5vq6fz1y2k3h',
      'pst_01jd0w3n3w8m5t5vq6fz1y2k3h_',
      'pst_01jd0w3n3w8m5t5vq6fz1y2k3h_0',
      'pst_01jd0w3n3w8m5t5vq6fz1y2k3h_042',
      'pst_01jd0w3n3w8m5t5vq6fz1y2k3h_9223372036854775808',
      'pst_01jd0w3n3w8m5t5vq6fz1y2k3h_1 OR 1=1',
    ]) {
      expect(postingSeqOf(id, wallet), id).toBeUndefined();
    }
    expect(postingSeqOf('pst_01jd0w3n3w8m5t5vq6fz1y2k3h_9223372036854775807', wallet)).toBe(
      9_223_372_036_854_775_807n,
    );
  });
});

describe('migration 0040', () => {
  it('keeps postings written with an id of their own, keyed by account and number from then on', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const migration_0040 = await migrateUpTo(db, '0040_');
      await db.pool.query(`
        INSERT INTO accounts (id, livemode, asset, kind, floor_minor)
          VALUES ('wal_a', false, 'USD', 'wallet', 0), ('wal_b', false, 'USD', 'wallet', 0);
        INSERT INTO ledger_transactions (id, livemode, reason, reference_id, effective_at)
          VALUES ('txn_1', false, 'test', 'tr_1', now()), ('txn_2', false, 'test', 'tr_2', now());
        INSERT INTO postings (id, transaction_id, account_id, account_seq, asset, side, layer, amount,
            posted_after, held_after, incoming_after)
          VALUES ('pst_1', 'txn_1', 'wal_a', 1, 'USD', 'debit', 'posted', 5, -5, 0, 0),
                 ('pst_2', 'txn_1', 'wal_b', 1, 'USD', 'credit', 'posted', 5, 5, 0, 0)`);
      await db.pool.query(migration_0040);
      const later = `INSERT INTO postings (transaction_id, account_id, account_seq, asset, side, layer, amount,
          posted_after, held_after, incoming_after)
        VALUES ('txn_2', 'wal_b', $1, 'USD', 'debit', 'posted', 2, 3, 0, 0),
               ('txn_2', 'wal_a', 2, 'USD', 'credit', 'posted', 2, -3, 0, 0)`;
      await expect(db.pool.query(later, [1])).rejects.toThrow(/postings_account_seq/);
      await db.pool.query(later, [2]);
      const rows = await db.pool.query(
        'SELECT account_id, account_seq::int, amount::int FROM postings ORDER BY account_id, account_seq',
      );
      expect(rows.rows).toEqual([
        { account_id: 'wal_a', account_seq: 1, amount: 5 },
        { account_id: 'wal_a', account_seq: 2, amount: 2 },
        { account_id: 'wal_b', account_seq: 1, amount: 5 },
        { account_id: 'wal_b', account_seq: 2, amount: 2 },
      ]);
      const key = await db.pool.query(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'postings'::regclass AND contype = 'p'`,
      );
      expect(key.rows).toEqual([{ def: 'PRIMARY KEY (account_id, account_seq)' }]);
    } finally {
      await db.drop();
    }
  });
});
