import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../db/pool.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { newWallet } from '../test-support/money.js';
import { ofAccount, tamper } from '../test-support/tamper.js';
import type { Violation } from './verify.js';
import { accountBatches, addStrays, checkAccountBatch, noStrays, type Strays } from './verify-postings.js';
import { verifyAndCheckpoint } from './verify-run.js';
import { tailPage, tailStart } from './verify-tail.js';
import { checkNewEntries, entriesWithStrays, readTail } from './verify-tail-entries.js';

let t: TestApp;
let platform: string;
let sellers: string[];
beforeAll(async () => {
  t = await createTestApp();
  platform = await newWallet(t, 'USD', { overdraft_limit: '100000.00' });
  sellers = [await newWallet(t, 'USD'), await newWallet(t, 'USD'), await newWallet(t, 'USD')];
});
// These tests corrupt the ledger on purpose.
afterAll(() => t.close({ verify: false }));

const verify = () => verifyAndCheckpoint(t.db.pool, { full: false, now: new Date() });

/** `count` transfers of 1.00 from the platform, each to the next seller in turn: two postings each. */
async function moves(count: number): Promise<void> {
  const transfers = Array.from({ length: count }, (_, index) => ({
    source_wallet_id: platform,
    destination_wallet_id: sellers[index % sellers.length],
    amount: '1.00',
    currency: 'USD',
  }));
  const response = await t.request({ method: 'POST', url: '/v1/transfers/batch', payload: { transfers } });
  expect(response.statusCode).toBe(200);
  expect(response.json().succeeded).toBe(count);
}

/** A posting's page in the heap, its key, and its entry. */
interface PlacedPosting {
  readonly page: number;
  readonly key: [string, string];
  readonly transaction_id: string;
}

/** The first posting written after the checkpoint (the lowest numbered new one of the platform). */
async function firstNewPosting(): Promise<PlacedPosting> {
  const result = await t.db.pool.query<{ page: string; account_seq: string; transaction_id: string }>(
    `SELECT (p.ctid::text::point)[0]::bigint AS page, p.account_seq::text, p.transaction_id
     FROM postings p JOIN ledger_checkpoint_accounts c ON c.account_id = $1
     WHERE ${ofAccount('$1', 'p.')} AND p.account_seq = c.account_seq + 1`,
    [platform],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('no new posting on the platform wallet');
  return { page: Number(row.page), key: [platform, row.account_seq], transaction_id: row.transaction_id };
}

/** An insider's edit of a posting's amount (its entry then no longer balances by `delta`). */
async function addToAmount(key: [string, string], delta: 1 | -1): Promise<void> {
  await tamper(t, `UPDATE postings SET amount = amount + $3 WHERE ${ofAccount('$1')} AND account_seq = $2`, [
    ...key,
    delta,
  ]);
}

/** Adds 1 to the first new posting's amount and says where it is now. */
async function editFirstNewPosting(): Promise<PlacedPosting> {
  await addToAmount((await firstNewPosting()).key, 1);
  return firstNewPosting();
}

/** Runs `work` in a REPEATABLE READ snapshot, as `purse verify` does. */
async function inSnapshot<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = await t.db.pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return await work(client);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** The new postings before the tail at `page`, as the account checks of `purse verify` name them. */
async function straysBefore(client: Client, page: number): Promise<Strays> {
  const found = noStrays();
  for (const batch of (await accountBatches(client, false)).batches)
    addStrays(found, (await checkAccountBatch(client, batch, false, tailStart(page))).strays);
  return found;
}

/** The new entries' verdicts from the tail at `page`; undefined when it cannot answer. */
async function entriesFromTail(client: Client, page: number): Promise<Violation[] | undefined> {
  return entriesWithStrays(client, await readTail(client, page, null), await straysBefore(client, page));
}

/** The new entries' verdicts as `purse verify` settles them with the tail at `page`. */
async function newEntries(client: Client, page: number): Promise<Violation[]> {
  return checkNewEntries(client, await readTail(client, page, null), await straysBefore(client, page));
}

describe("verify reads the new entries from the heap's tail", () => {
  it('starts at the page of the first new posting, and finds an unbalanced entry there', async () => {
    await moves(3);
    expect((await verify()).violations).toEqual([]);
    await moves(10);
    const first = await editFirstNewPosting();
    const found = await inSnapshot(async (client) => {
      const page = await tailPage(client);
      expect(page).toBe(first.page);
      return entriesFromTail(client, first.page);
    });
    expect(found).toEqual([
      expect.objectContaining({ check: 'transaction_balances', subject: first.transaction_id }),
    ]);
    const run = await verify();
    expect(run.checkpoint).toBeUndefined();
    expect(run.violations).toContainEqual(
      expect.objectContaining({ check: 'transaction_balances', subject: first.transaction_id }),
    );
    await addToAmount(first.key, -1);
    expect((await verify()).violations).toEqual([]);
  });

  it('reads a new posting that lies before the pages read through its account, and finds its entry', async () => {
    // Enough new postings to fill more than one page (about 55 a page), the first one edited.
    await moves(100);
    const first = await editFirstNewPosting();
    const after_it = first.page + 1;
    const [from_tail, answered] = await inSnapshot(async (client) => [
      await entriesFromTail(client, after_it),
      await newEntries(client, after_it),
    ]);
    // The tail from the next page holds some new postings, not all: the rest are read by account.
    for (const found of [from_tail, answered]) {
      expect(found).toEqual([
        expect.objectContaining({ check: 'transaction_balances', subject: first.transaction_id }),
      ]);
    }
    await addToAmount(first.key, -1);
    expect((await verify()).violations).toEqual([]);
  });

  it('starts the tail after room left in an older page, and reads the new postings there by account', async () => {
    // A rolled back insert leaves a page of dead postings, far before the checkpoint's last page.
    const room = await leaveRoom(50);
    await moves(1_000);
    await moves(1_000);
    await moves(500);
    expect((await verify()).violations).toEqual([]);
    await moves(300);
    // A vacuum records the room; a seller's first new posting, rewritten unchanged from a new
    // connection (no page of its own to fill yet), moves into it.
    await t.db.pool.query('VACUUM postings');
    const seller = sellers[1] ?? '';
    const moved = await rewriteFirstNewPosting(seller);
    expect(moved.page).toBeLessThanOrEqual(room);
    const placed = await inSnapshot(async (client) => {
      const page = await tailPage(client);
      if (page === undefined) throw new Error('the tail is worth reading');
      return { page, from_tail: await entriesFromTail(client, page) };
    });
    // The tail starts with the pages written since the checkpoint, not at the room.
    expect(placed.page).toBeGreaterThan(room);
    expect(placed.from_tail).toEqual([]);
    // An entry with a posting in that room is checked whole: an edit of it is found.
    const key: [string, string] = [seller, moved.seq];
    await addToAmount(key, 1);
    const found = await inSnapshot(async (client) => entriesFromTail(client, placed.page));
    expect(found).toEqual([
      expect.objectContaining({ check: 'transaction_balances', subject: moved.transaction_id }),
    ]);
    await addToAmount(key, -1);
    expect((await verify()).violations).toEqual([]);
  });

  it('does not let an account missing postings make room for one the tail did not read', async () => {
    // The victim receives the first new transfer, and has old postings to lose.
    const victim = sellers[0] ?? '';
    await moves(100);
    expect((await verify()).violations).toEqual([]);
    await moves(100);
    const first = await firstNewPosting();
    const after_it = first.page + 1;
    const missed = await t.db.pool.query<{ n: string; victim_seq: string }>(
      `SELECT count(*)::text AS n,
         (SELECT account_seq::text FROM ledger_checkpoint_accounts WHERE account_id = $2) AS victim_seq
       FROM postings p JOIN accounts a ON a.number = p.account_number
       JOIN ledger_checkpoint_accounts c ON c.account_id = a.id
       WHERE p.ctid < $1::tid AND p.account_seq > c.account_seq AND a.id <> $2`,
      [`(${after_it},0)`, victim],
    );
    const others_missed = Number(missed.rows[0]?.n);
    expect(others_missed).toBeGreaterThan(0);
    expect(others_missed).toBeLessThan(Number(missed.rows[0]?.victim_seq));
    // The victim loses its new postings, the first transfer's credit among them (that entry no
    // longer balances), and its `others_missed` highest old ones: its highest number falls as far
    // below its checkpointed one as the tail from after the first page falls short of the others'.
    await tamper(
      t,
      `DELETE FROM postings p USING ledger_checkpoint_accounts c
       WHERE c.account_id = $1 AND ${ofAccount('$1', 'p.')} AND p.account_seq > c.account_seq - $2`,
      [victim, others_missed],
    );
    const answered = await inSnapshot((client) => newEntries(client, after_it));
    expect(answered).toContainEqual(
      expect.objectContaining({ check: 'transaction_balances', subject: first.transaction_id }),
    );
  });
  it('answers the index way when the postings read fall short of the numbers given', async () => {
    const first = await firstNewPosting();
    const page_of = async () => inSnapshot(async (client) => entriesFromTail(client, first.page));
    expect(await page_of()).toBeDefined();
    // A new posting of the platform's removed from between two others: a gap in its numbers.
    const [account, seq] = first.key;
    const removed = await t.db.pool.query<{ transaction_id: string }>(
      `SELECT transaction_id FROM postings WHERE ${ofAccount('$1')} AND account_seq = $2`,
      [account, BigInt(seq) + 1n],
    );
    await tamper(t, `DELETE FROM postings WHERE ${ofAccount('$1')} AND account_seq = $2`, [
      account,
      BigInt(seq) + 1n,
    ]);
    expect(await page_of()).toBeUndefined();
    const answered = await inSnapshot((client) => newEntries(client, first.page));
    expect(answered).toContainEqual(
      expect.objectContaining({ check: 'transaction_balances', subject: removed.rows[0]?.transaction_id }),
    );
  });
});

/**
 * Rewrites an account's first posting after the checkpoint unchanged, from a connection of its
 * own: the new version goes to the first page with room. Returns that page, and the posting.
 */
async function rewriteFirstNewPosting(
  account: string,
): Promise<{ page: number; seq: string; transaction_id: string }> {
  const client = new pg.Client({ connectionString: t.db.url });
  await client.connect();
  try {
    await client.query("SET session_replication_role = 'replica'");
    const rewritten = await client.query<{ page: string; seq: string; transaction_id: string }>(
      `UPDATE postings p SET amount = p.amount FROM ledger_checkpoint_accounts c
       WHERE c.account_id = $1 AND ${ofAccount('$1', 'p.')} AND p.account_seq = c.account_seq + 1
       RETURNING (p.ctid::text::point)[0]::bigint AS page, p.account_seq::text AS seq, p.transaction_id`,
      [account],
    );
    const row = rewritten.rows[0];
    if (row === undefined) throw new Error(`no new posting on ${account}`);
    return { page: Number(row.page), seq: row.seq, transaction_id: row.transaction_id };
  } finally {
    await client.end();
  }
}

/**
 * Inserts `count` postings and rolls them back, as a failed write would: their page keeps room
 * that the next vacuum records. Returns that page.
 */
async function leaveRoom(count: number): Promise<number> {
  const client = await t.db.pool.connect();
  try {
    await client.query("SET session_replication_role = 'replica'");
    await client.query('BEGIN');
    const inserted = await client.query<{ page: string }>(
      `INSERT INTO postings (transaction_id, account_number, account_seq, asset, side, layer, amount,
         posted_after, held_after, incoming_after)
       SELECT 'txn_rolled_back', 9000000000 + g, 1, 'USD', 'debit', 'posted', 1, 0, 0, 0
       FROM generate_series(1, $1::int) AS g
       RETURNING (ctid::text::point)[0]::bigint AS page`,
      [count],
    );
    await client.query('ROLLBACK');
    return Math.max(...inserted.rows.map((row) => Number(row.page)));
  } finally {
    await client.query("SET session_replication_role = 'origin'");
    client.release();
  }
}
