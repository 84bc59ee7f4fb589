import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postingId } from '../ledger/posting-ids.js';
import { verifyLedger } from '../ledger/verify.js';
import { verifyAndCheckpoint } from '../ledger/verify-run.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { newWallet } from '../test-support/money.js';
import { ofAccount, tamper } from '../test-support/tamper.js';
import { trialBalance as trialBalanceOf } from './trial-balance.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function trialBalance(key: string) {
  const response = await t.request({ method: 'GET', url: '/v1/reports/trial_balance', key });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{
    livemode: boolean;
    assets: { accounts: { account_id: string }[] }[];
    verification: {
      ok: boolean;
      violations: { check: string; subject: string }[];
      checkpoint: { id: string; created_at: string; full_check: boolean } | null;
      postings_unverified: number;
    };
  }>();
}

/** Two new test-mode wallets, and a function that moves 1.00 USD from the first to the second. */
async function twoWallets() {
  const from = await newWallet(t, 'USD', { overdraft_limit: '100.00' });
  const to = await newWallet(t, 'USD');
  const move = async () => {
    const moved = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      key: t.test_key,
      payload: { source_wallet_id: from, destination_wallet_id: to, amount: '1.00', currency: 'USD' },
    });
    expect(moved.statusCode, moved.body).toBe(201);
  };
  return { from, to, move };
}

describe('trial balance', () => {
  it('of a test key names no live-mode object, not even among the violations', async () => {
    const platform = await newWallet(t, 'USD', { overdraft_limit: '100.00' }, t.live_key);
    const seller = await newWallet(t, 'USD', {}, t.live_key);
    const moved = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      key: t.live_key,
      payload: {
        source_wallet_id: platform,
        destination_wallet_id: seller,
        amount: '10.00',
        currency: 'USD',
      },
    });
    expect(moved.statusCode, moved.body).toBe(201);
    // The seller's one posting, number 1.
    const posting_id = postingId(seller, 1n);
    // Counters and a posting edited in live mode. Since issue 21 the trial balance runs only the
    // account-level checks (the counters' edit); the posting's is `purse verify`'s to find.
    await tamper(t, 'UPDATE accounts SET posted_credits = posted_credits + 7 WHERE id = $1', [seller]);
    await tamper(t, `UPDATE postings SET amount = amount + 1 WHERE ${ofAccount('$1')} AND account_seq = 1`, [
      seller,
    ]);
    try {
      const live = await trialBalance(t.live_key);
      const live_subjects = live.verification.violations.map((violation) => violation.subject);
      expect(live_subjects).toEqual(expect.arrayContaining([seller, 'USD (live)']));
      expect(live_subjects).not.toContain(posting_id);
      expect((await verifyLedger(t.db.pool)).map((violation) => violation.subject)).toContain(posting_id);
      const test = await trialBalance(t.test_key);
      expect(test.livemode).toBe(false);
      expect(test.verification).toEqual({
        ok: true,
        violations: [],
        checkpoint: null,
        postings_unverified: 0,
      });
      const text = JSON.stringify(test);
      for (const id of [platform, seller, posting_id, moved.json().id, '(live)'])
        expect(text).not.toContain(id);
    } finally {
      await tamper(t, 'UPDATE accounts SET posted_credits = posted_credits - 7 WHERE id = $1', [seller]);
      await tamper(
        t,
        `UPDATE postings SET amount = amount - 1 WHERE ${ofAccount('$1')} AND account_seq = 1`,
        [seller],
      );
    }
    expect(await verifyLedger(t.db.pool)).toEqual([]);
  });
});

describe('verification in the trial balance', () => {
  it('reports the latest checkpoint and how many postings came after it, without reading them', async () => {
    const { move } = await twoWallets();
    await move();
    const run = await verifyAndCheckpoint(t.db.pool, { full: false, now: new Date() });
    expect(run.violations).toEqual([]);
    const checked = await trialBalance(t.test_key);
    expect(checked.verification).toMatchObject({
      ok: true,
      checkpoint: { id: run.checkpoint?.id, full_check: true },
      postings_unverified: 0,
    });
    await move();
    expect((await trialBalance(t.test_key)).verification.postings_unverified).toBe(2);
  });
});

describe('last posting check in the trial balance', () => {
  it('seeks the posting numbered postings_count: a count moved past the last posting is named', async () => {
    const { to, move } = await twoWallets();
    await move();
    // The newest posting still equals the balances; the one the count names does not exist.
    await tamper(t, 'UPDATE accounts SET postings_count = postings_count + 1 WHERE id = $1', [to]);
    try {
      const { verification } = await trialBalance(t.test_key);
      expect(verification.ok).toBe(false);
      expect(verification.violations).toContainEqual(
        expect.objectContaining({ check: 'last_posting_matches_balance', subject: to }),
      );
    } finally {
      await tamper(t, 'UPDATE accounts SET postings_count = postings_count - 1 WHERE id = $1', [to]);
    }
    expect((await trialBalance(t.test_key)).verification.ok).toBe(true);
  });
});

describe('wallets that never moved', () => {
  const idle_count = 5_000;

  it('are not read by the trial balance, until a counter of theirs moves', async () => {
    await (await twoWallets()).move();
    // As many wallets as a platform's users who signed up and never paid: no posting, no counter.
    await t.db.pool.query(
      `INSERT INTO accounts (id, livemode, asset, kind, floor_minor)
       SELECT 'wal_idle' || i, false, 'USD', 'wallet', 0 FROM generate_series(1, $1::int) i`,
      [idle_count],
    );
    const idle = 'wal_idle1';
    expect(await accountRowsRead()).toBeLessThan(idle_count / 10);
    // An idle wallet's counter edited without a posting is among the accounts read, and found.
    await tamper(t, 'UPDATE accounts SET pending_credits = 5 WHERE id = $1', [idle]);
    try {
      const { verification } = await trialBalance(t.test_key);
      expect(verification.violations).toContainEqual(
        expect.objectContaining({ check: 'asset_sums_to_zero', subject: 'USD (test)' }),
      );
    } finally {
      await tamper(t, 'UPDATE accounts SET pending_credits = 0 WHERE id = $1', [idle]);
    }
    expect((await trialBalance(t.test_key)).verification.ok).toBe(true);
  });

  /**
   * Rows of `accounts` one test-mode trial balance reads: the backend's counts before and after it,
   * in one transaction (they can include earlier transactions' that were not yet reported).
   */
  async function accountRowsRead(): Promise<number> {
    const client = await t.db.pool.connect();
    const rows_read = async () => {
      const read = await client.query<{ rows: string }>(
        `SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) AS rows FROM pg_stat_xact_user_tables WHERE relname = 'accounts'`,
      );
      return Number(read.rows[0]?.rows ?? 0);
    };
    try {
      await client.query('BEGIN');
      const before = await rows_read();
      await trialBalanceOf(client, false, new Date());
      return (await rows_read()) - before;
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }
});
