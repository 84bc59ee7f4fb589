import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../db/pool.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { newWallet, transfer } from '../test-support/money.js';
import { tamper } from '../test-support/tamper.js';
import { latestCheckpoint } from './checkpoints.js';
import { changedFrom } from './verify-changed.js';
import { accountBatches } from './verify-postings.js';
import { verifyAndCheckpoint } from './verify-run.js';

let t: TestApp;
let platform: string;
let seller: string;
let idle: string;
beforeAll(async () => {
  t = await createTestApp();
  platform = await newWallet(t, 'USD', { overdraft_limit: '1000.00' });
  seller = await newWallet(t, 'USD');
  idle = await newWallet(t, 'USD');
  const funded = await transfer(t, {
    source_wallet_id: platform,
    destination_wallet_id: idle,
    amount: '5.00',
  });
  expect(funded.statusCode, funded.body).toBe(201);
});
// These tests corrupt the ledger on purpose.
afterAll(() => t.close({ verify: false }));

const verify = (full = false) => verifyAndCheckpoint(t.db.pool, { full, now: new Date() });

async function move(): Promise<void> {
  const response = await transfer(t, {
    source_wallet_id: platform,
    destination_wallet_id: seller,
    amount: '1.00',
  });
  expect(response.statusCode, response.body).toBe(201);
}

/** What a run from the latest checkpoint would read of the accounts, in a snapshot of its own. */
async function accountsRead(): Promise<{ from: string | undefined; changed: string[] | null }> {
  const client: Client = await t.db.pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const checkpoint = await latestCheckpoint(client);
    if (checkpoint === undefined) throw new Error('a checkpoint was recorded');
    const from = await changedFrom(client, checkpoint);
    return { from, changed: (await accountBatches(client, false, from)).changed };
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** Runs SQL on the latest checkpoint's row around its append-only trigger. */
const onCheckpoint = (set: string) =>
  tamper(t, `UPDATE ledger_checkpoints SET ${set} WHERE seq = (SELECT max(seq) FROM ledger_checkpoints)`);

describe('verify reads the accounts written since the checkpoint', () => {
  it('reads the two accounts a transfer moved, not the one left alone', async () => {
    expect((await verify(true)).violations).toEqual([]);
    await move();
    const read = await accountsRead();
    expect(read.from).toBeDefined();
    expect(read.changed).toEqual(expect.arrayContaining([platform, seller]));
    expect(read.changed).not.toContain(idle);
    expect((await verify()).violations).toEqual([]);
    expect((await accountsRead()).changed).toEqual([]);
  });

  it("still finds an idle account's counters edited without a posting", async () => {
    expect((await verify()).violations).toEqual([]);
    const edit = (by: number) =>
      tamper(
        t,
        `UPDATE accounts SET posted_credits = posted_credits + ${by}, posted_debits = posted_debits + ${by} WHERE id = $1`,
        [idle],
      );
    await edit(7);
    try {
      expect((await accountsRead()).changed).toEqual([idle]);
      const run = await verify();
      expect(run.checkpoint).toBeUndefined();
      expect(run.violations).toContainEqual(
        expect.objectContaining({ check: 'balance_matches_postings', subject: idle }),
      );
    } finally {
      await edit(-7);
    }
    expect((await verify()).violations).toEqual([]);
  });

  it("finds an idle account's balance edited alone: its asset no longer sums to zero", async () => {
    expect((await verify()).violations).toEqual([]);
    const edit = (by: number) =>
      tamper(t, `UPDATE accounts SET posted_credits = posted_credits + ${by} WHERE id = $1`, [idle]);
    await edit(3);
    try {
      const checks = (await verify()).violations.map((violation) => violation.check);
      expect(checks).toEqual(
        expect.arrayContaining([
          'asset_sums_to_zero',
          'balance_matches_postings',
          'last_posting_matches_balance',
        ]),
      );
    } finally {
      await edit(-3);
    }
    expect((await verify()).violations).toEqual([]);
  });

  it('reads every account after a checkpoint whose row was written again, as a restored dump would have it', async () => {
    expect((await verify()).violations).toEqual([]);
    // The same content in a new row version: its xmin is no longer its own transaction's id.
    await onCheckpoint('seq = seq');
    expect(await accountsRead()).toEqual({ from: undefined, changed: null });
    expect((await verify()).violations).toEqual([]);
    expect((await accountsRead()).from).toBeDefined();
  });

  it('reads every account when the checkpoint says its snapshot is ahead of this one', async () => {
    expect((await verify()).violations).toEqual([]);
    // Its own id an epoch later: the low 32 bits are the new row version's xmin, so only the
    // distance between the snapshots tells that the ids cannot be placed.
    const this_xact = 'pg_current_xact_id()::text::bigint';
    await onCheckpoint(
      `xact_id = (${this_xact} + 4294967296)::text::xid8, snapshot_xmin = (${this_xact} + 4294967295)::text::xid8`,
    );
    const client = await t.db.pool.connect();
    try {
      const checkpoint = await latestCheckpoint(client);
      if (checkpoint === undefined) throw new Error('a checkpoint was recorded');
      expect(await changedFrom(client, checkpoint)).toBeUndefined();
    } finally {
      client.release();
    }
  });

  it('refuses a checkpoint whose snapshot was moved forward to hide what changed: it no longer matches its digest', async () => {
    expect((await verify(true)).violations).toEqual([]);
    const later = '(xact_id::text::bigint + 1000)::text::xid8';
    await onCheckpoint(`snapshot_xmin = ${later}, xact_id = ${later}`);
    const run = await verify();
    expect(run.checkpoint).toBeUndefined();
    expect(run.violations).toContainEqual(expect.objectContaining({ check: 'checkpoint_matches_digest' }));
    expect((await verify(true)).violations).toEqual([]);
  });
});
