import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { fund, newWallet, transfer } from '../test-support/money.js';
import { runPurse } from '../test-support/process.js';
import { ofAccount } from '../test-support/tamper.js';
import { verifyLedger } from './verify.js';

let t: TestApp;
let wallet: string;
beforeAll(async () => {
  t = await createTestApp();
  wallet = await newWallet(t);
  const other = await newWallet(t);
  await fund(t, wallet, '50.00');
  expect(
    (await transfer(t, { source_wallet_id: wallet, destination_wallet_id: other, amount: '20.00' }))
      .statusCode,
  ).toBe(201);
});
// These tests corrupt the ledger on purpose.
afterAll(() => t.close({ verify: false }));

describe('the database refuses what breaks the ledger', () => {
  it('refuses to change or delete a posting', async () => {
    await expect(
      t.db.pool.query(`UPDATE postings SET amount = 1 WHERE ${ofAccount('$1')}`, [wallet]),
    ).rejects.toThrow(/immutable/);
    await expect(t.db.pool.query(`DELETE FROM postings WHERE ${ofAccount('$1')}`, [wallet])).rejects.toThrow(
      /immutable/,
    );
  });

  it('refuses postings that do not balance', async () => {
    const txn = (await t.db.pool.query<{ id: string }>('SELECT id FROM ledger_transactions LIMIT 1')).rows[0]
      ?.id;
    await expect(
      t.db.pool.query(
        `INSERT INTO postings (transaction_id, account_number, account_seq, asset, side, layer, amount, posted_after, held_after, incoming_after)
         SELECT $1, number, 999, 'USD', 'credit', 'posted', 100, 0, 0, 0 FROM accounts WHERE id = $2`,
        [txn, wallet],
      ),
    ).rejects.toThrow(/does not balance/);
  });

  it('refuses a wallet below its floor', async () => {
    await expect(
      t.db.pool.query('UPDATE accounts SET posted_debits = posted_credits + 1 WHERE id = $1', [wallet]),
    ).rejects.toThrow(/check constraint/);
  });
});

describe('verify', () => {
  it('passes on a sound ledger, from the CLI too', async () => {
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    const cli = runPurse(['verify'], { DATABASE_URL: t.db.url });
    expect(await cli.exited).toBe(0);
  });

  it('names an account whose balance no longer matches its postings, and the CLI exits 1', async () => {
    // An insider edit that keeps every constraint: both counters move, the floor still holds.
    await t.db.pool.query(
      'UPDATE accounts SET posted_credits = posted_credits + 500, posted_debits = posted_debits + 500 WHERE id = $1',
      [wallet],
    );
    await t.db.pool.query('UPDATE accounts SET posted_credits = posted_credits + 7 WHERE id = $1', [wallet]);
    const violations = await verifyLedger(t.db.pool);
    expect(violations.map((violation) => violation.check).sort()).toEqual([
      'asset_sums_to_zero',
      'balance_matches_postings',
      'last_posting_matches_balance',
    ]);
    expect(
      violations.every((violation) => violation.subject === wallet || violation.subject.startsWith('USD')),
    ).toBe(true);
    const cli = runPurse(['verify'], { DATABASE_URL: t.db.url });
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain(`balance_matches_postings: ${wallet}`);
  });
});
