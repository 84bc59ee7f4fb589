import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { newWallet, transfer } from '../test-support/money.js';
import { tamper } from '../test-support/tamper.js';
import { verifyAndCheckpoint } from './verify-run.js';

let t: TestApp;
let platform: string;
let seller: string;
let buyer: string;
beforeAll(async () => {
  t = await createTestApp();
  platform = await newWallet(t, 'USD', { overdraft_limit: '1000.00' });
  seller = await newWallet(t, 'USD');
  buyer = await newWallet(t, 'USD');
});
// These tests corrupt the checkpoint's states on purpose.
afterAll(() => t.close({ verify: false }));

const verify = (full = false) => verifyAndCheckpoint(t.db.pool, { full, now: new Date() });

async function pay(to: string): Promise<void> {
  const response = await transfer(t, {
    source_wallet_id: platform,
    destination_wallet_id: to,
    amount: '1.00',
  });
  expect(response.statusCode, response.body).toBe(201);
}

/** The latest checkpoint's id, which a violation about its states names. */
async function latestId(): Promise<string> {
  const result = await t.db.pool.query<{ id: string }>(
    'SELECT id FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1',
  );
  return result.rows[0]?.id ?? '';
}

/**
 * A full run, then one that writes only the platform's and the seller's states: the buyer's state
 * is the full run's, which the latest checkpoint's digest does not cover (migration 0049).
 */
async function buyerStateFromAnEarlierRun(): Promise<void> {
  await pay(buyer);
  expect((await verify(true)).violations).toEqual([]);
  await pay(seller);
  expect((await verify()).violations).toEqual([]);
}

describe('the account states a checkpoint did not write', () => {
  it('are refused when one was edited since, though the run would not read its account', async () => {
    await buyerStateFromAnEarlierRun();
    // A raised starting balance: the next time the buyer moves, the run would chain from it.
    const edit = (by: number) =>
      tamper(
        t,
        `UPDATE ledger_checkpoint_accounts SET posted_after = posted_after + ${by}, posted_credits = posted_credits + ${by}
         WHERE account_id = $1`,
        [buyer],
      );
    await edit(100);
    try {
      const run = await verify();
      expect(run.checkpoint).toBeUndefined();
      expect(run.violations).toEqual([
        expect.objectContaining({
          check: 'checkpoint_matches_digest',
          subject: await latestId(),
          detail: expect.stringContaining(`state of account ${buyer} was written after checkpoint`),
        }),
      ]);
    } finally {
      await edit(-100);
    }
    // Put back, the row is still a version written since: only a run from the start re-bases it.
    expect((await verify()).checkpoint).toBeUndefined();
    expect((await verify(true)).violations).toEqual([]);
  });

  it('are refused when one was added for an account that had none', async () => {
    // Opened before the runs, so that no run reads it: only its forged state tells.
    const never_moved = await newWallet(t, 'USD');
    await buyerStateFromAnEarlierRun();
    await tamper(
      t,
      `INSERT INTO ledger_checkpoint_accounts (account_id, account_seq, posted_after, held_after, incoming_after,
         created_at_max, posted_debits, posted_credits, pending_debits, pending_credits)
       VALUES ($1, 1, 0, 0, 0, now(), 0, 0, 0, 0)`,
      [never_moved],
    );
    try {
      expect((await verify()).violations).toEqual([
        expect.objectContaining({ detail: expect.stringContaining(`state of account ${never_moved}`) }),
      ]);
    } finally {
      await tamper(t, 'DELETE FROM ledger_checkpoint_accounts WHERE account_id = $1', [never_moved]);
    }
    expect((await verify(true)).violations).toEqual([]);
  });

  it('are not mistaken for edits when an earlier checkpoint wrote them while a transaction stayed open', async () => {
    expect((await verify(true)).violations).toEqual([]);
    // A transaction with an id, open across the runs, holds every later snapshot's xmin below the
    // ids of the checkpoints recorded meanwhile: the buyer's state, written by the first run below
    // and left alone by the second, has an xmin above the second's snapshot xmin.
    const open = await t.db.pool.connect();
    try {
      await open.query('BEGIN');
      await open.query('SELECT pg_current_xact_id()');
      await pay(buyer);
      expect((await verify()).violations).toEqual([]);
      await pay(seller);
      expect((await verify()).violations).toEqual([]);
      const checked = await verify();
      expect(checked.violations).toEqual([]);
      expect(checked.checkpoint).toBeDefined();
    } finally {
      await open.query('ROLLBACK');
      open.release();
    }
  });

  it('include none the checkpoint wrote: one of those removed no longer matches its digest', async () => {
    await buyerStateFromAnEarlierRun();
    await tamper(t, 'DELETE FROM ledger_checkpoint_accounts WHERE account_id = $1', [seller]);
    const run = await verify();
    expect(run.violations).toEqual([
      expect.objectContaining({
        check: 'checkpoint_matches_digest',
        detail: expect.stringMatching(/the accounts' checkpointed states changed.*a logical dump/),
      }),
    ]);
    expect((await verify(true)).violations).toEqual([]);
  });

  it('cannot be brought under the other form of digest: the form is part of the id', async () => {
    await buyerStateFromAnEarlierRun();
    await tamper(
      t,
      "UPDATE ledger_checkpoints SET digest_states = 'every' WHERE seq = (SELECT max(seq) FROM ledger_checkpoints)",
    );
    const run = await verify();
    expect(run.violations).toEqual([
      expect.objectContaining({
        check: 'checkpoint_matches_digest',
        detail: expect.stringContaining('their digest is now'),
      }),
    ]);
    expect((await verify(true)).violations).toEqual([]);
  });
});
