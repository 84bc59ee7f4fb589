import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentKek } from '../crypto/keyring.js';
import { sequenceEvents } from '../events/sequencer.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { newWallet, transfer } from '../test-support/money.js';
import { runPurse } from '../test-support/process.js';
import { ofAccount, tamper } from '../test-support/tamper.js';
import { chainPoint, latestCheckpoint, recordCheckpoint } from './checkpoints.js';
import { postingId } from './posting-ids.js';
import { verifyAndCheckpoint } from './verify-run.js';
import { writeEntries } from './write.js';

let t: TestApp;
let platform: string;
let seller: string;
beforeAll(async () => {
  t = await createTestApp();
  platform = await newWallet(t, 'USD', { overdraft_limit: '1000.00' });
  seller = await newWallet(t, 'USD');
});
// These tests corrupt the ledger on purpose.
afterAll(() => t.close({ verify: false }));

async function move(amount = '1.00'): Promise<void> {
  const response = await transfer(t, { source_wallet_id: platform, destination_wallet_id: seller, amount });
  expect(response.statusCode, response.body).toBe(201);
}

const verify = (full = false) => verifyAndCheckpoint(t.db.pool, { full, now: new Date() });

/** A posting: its API id (violations name it) and its key, to edit it. */
interface PostingRef {
  readonly id: string;
  readonly key: [string, string];
}

async function lastPostingOf(account_id: string): Promise<PostingRef> {
  const result = await t.db.pool.query<{ seq: string }>(
    `SELECT account_seq::text AS seq FROM postings WHERE ${ofAccount('$1')} ORDER BY account_seq DESC LIMIT 1`,
    [account_id],
  );
  const account_seq = result.rows[0]?.seq ?? '0';
  return { id: postingId(account_id, account_seq), key: [account_id, account_seq] };
}

const the_posting = `${ofAccount('$1')} AND account_seq = $2`;

/** Edits a posting's amount, runs `check`, and puts the amount back. */
async function withEditedPosting<T>(posting: PostingRef, check: () => Promise<T>): Promise<T> {
  await tamper(t, `UPDATE postings SET amount = amount + 1 WHERE ${the_posting}`, posting.key);
  try {
    return await check();
  } finally {
    await tamper(t, `UPDATE postings SET amount = amount - 1 WHERE ${the_posting}`, posting.key);
  }
}

describe('incremental verify', () => {
  it('checks only the postings since the checkpoint, and records a checkpoint in the audit chain', async () => {
    await move();
    const first = await verify();
    expect(first.violations).toEqual([]);
    expect(first.checkpoint?.full_check).toBe(true);
    await move();
    await move();
    const second = await verify();
    expect(second.violations).toEqual([]);
    expect(second.postings_checked).toBe(4);
    expect(second.checkpoint).toMatchObject({ full_check: false, previous_id: first.checkpoint?.id });
    const audited = await t.db.pool.query('SELECT 1 FROM audit_logs WHERE action = $1 AND object_id = $2', [
      'ledger.checkpoint',
      second.checkpoint?.id,
    ]);
    expect(audited.rowCount).toBe(1);
    expect((await verify()).postings_checked).toBe(0);
  });

  it('checks the events numbered since the checkpoint, and records how far their positions hold', async () => {
    await move();
    await sequenceEvents(t.db.pool, 1_000, t.clock.now());
    const top = (await t.db.pool.query<{ top: string }>('SELECT max(position)::text AS top FROM events'))
      .rows[0]?.top;
    const clean = await verify();
    expect(clean.violations).toEqual([]);
    expect(clean.checkpoint?.events_position).toBe(top);
    // An event numbered past a gap after the checkpoint: found, and no checkpoint.
    const skipped = (BigInt(top ?? '0') + 2n).toString();
    await tamper(
      t,
      `INSERT INTO events (id, livemode, type, object_id, data, created_at, position)
       VALUES ('evt_after_gap', false, 'holder.created', 'hol_x', '{}', now(), $1)`,
      [skipped],
    );
    const gap = await verify();
    expect(gap.checkpoint).toBeUndefined();
    expect(gap.violations).toEqual([
      expect.objectContaining({
        check: 'event_positions',
        subject: `positions ${BigInt(top ?? '0') + 1n}..${skipped}`,
      }),
    ]);
    await tamper(t, "DELETE FROM events WHERE id = 'evt_after_gap'", []);
    expect((await verify()).violations).toEqual([]);
  });

  it('finds a posting edited after the checkpoint, and records no checkpoint', async () => {
    await verify();
    await move();
    const edited = await lastPostingOf(seller);
    const run = await withEditedPosting(edited, verify);
    expect(run.checkpoint).toBeUndefined();
    expect(run.violations).toContainEqual(
      expect.objectContaining({ check: 'posting_follows_previous', subject: edited.id }),
    );
    expect(run.violations.map((violation) => violation.check)).toContain('transaction_balances');
    expect((await verify()).violations).toEqual([]);
  });

  it('names the first broken posting of an account, with what it says and what was expected', async () => {
    await verify();
    await move();
    await move();
    const last = await lastPostingOf(seller);
    const seq = BigInt(last.key[1]) - 1n;
    const edited: PostingRef = { id: postingId(seller, seq), key: [seller, seq.toString()] };
    // Its balance after it no longer follows from the one before, nor does the next one's from it.
    const edit = (delta: number) =>
      tamper(t, `UPDATE postings SET posted_after = posted_after + $3 WHERE ${the_posting}`, [
        ...edited.key,
        delta,
      ]);
    await edit(1);
    try {
      const named = (await verify()).violations.filter((v) => v.check === 'posting_follows_previous');
      expect(named).toEqual([
        {
          check: 'posting_follows_previous',
          subject: edited.id,
          detail: expect.stringMatching(
            new RegExp(`^posting ${seq} of account ${seller} says \\d+/0/0 after it`),
          ),
        },
      ]);
    } finally {
      await edit(-1);
    }
    expect((await verify()).violations).toEqual([]);
  });

  it("finds an edited created_at_max (balance?at='s running maximum), incremental and full", async () => {
    await verify();
    await move();
    const edited = await lastPostingOf(seller);
    await tamper(
      t,
      `UPDATE postings SET created_at_max = created_at_max + interval '1 hour' WHERE ${the_posting}`,
      edited.key,
    );
    try {
      for (const run of [await verify(), await verify(true)]) {
        expect(run.checkpoint).toBeUndefined();
        expect(run.violations).toContainEqual(
          expect.objectContaining({ check: 'posting_follows_previous', subject: edited.id }),
        );
      }
    } finally {
      await tamper(
        t,
        `UPDATE postings SET created_at_max = created_at_max - interval '1 hour' WHERE ${the_posting}`,
        edited.key,
      );
    }
    expect((await verify()).violations).toEqual([]);
  });

  it('follows held and incoming balances through a hold and its release, and names an edited one', async () => {
    await verify();
    const held = await transfer(t, {
      source_wallet_id: platform,
      destination_wallet_id: seller,
      amount: '2.00',
      hold: true,
      expires_at: new Date(t.clock.now().getTime() + 60_000).toISOString(),
    });
    expect(held.statusCode, held.body).toBe(201);
    // The source's pending debit moves its held balance, the destination's pending credit its incoming.
    const edits = async (column: 'held_after' | 'incoming_after', account_id: string) => {
      const edited = await lastPostingOf(account_id);
      const edit = (delta: number) =>
        tamper(t, `UPDATE postings SET ${column} = ${column} + $3 WHERE ${the_posting}`, [
          ...edited.key,
          delta,
        ]);
      await edit(1);
      try {
        for (const run of [await verify(), await verify(true)]) {
          expect(run.checkpoint).toBeUndefined();
          expect(run.violations.filter((v) => v.check === 'posting_follows_previous')).toEqual([
            expect.objectContaining({ subject: edited.id }),
          ]);
        }
      } finally {
        await edit(-1);
      }
    };
    await edits('held_after', platform);
    await edits('incoming_after', seller);
    expect((await verify()).violations).toEqual([]);
    const voided = await t.request({ method: 'POST', url: `/v1/transfers/${held.json().id}/void` });
    expect(voided.statusCode, voided.body).toBe(200);
    // The release takes both back: edited, the releasing postings are named too.
    await edits('held_after', platform);
    await edits('incoming_after', seller);
    expect((await verify()).violations).toEqual([]);
  });

  it('skips a posting edited before the checkpoint, which --full finds (the trade-off)', async () => {
    await move();
    const old = await lastPostingOf(seller);
    expect((await verify()).violations).toEqual([]);
    await withEditedPosting(old, async () => {
      expect((await verify()).violations).toEqual([]);
      const full = await verify(true);
      expect(full.checkpoint).toBeUndefined();
      expect(full.violations).toContainEqual(
        expect.objectContaining({ check: 'posting_follows_previous', subject: old.id }),
      );
    });
  });

  it('finds an edited checkpoint: its digest no longer matches its id', async () => {
    expect((await verify()).violations).toEqual([]);
    // Moving an account's checkpointed position past a posting would make the next run skip it.
    await t.db.pool.query(
      'UPDATE ledger_checkpoint_accounts SET account_seq = account_seq + 1 WHERE account_id = $1',
      [seller],
    );
    const run = await verify();
    expect(run.checkpoint).toBeUndefined();
    expect(run.violations).toContainEqual(expect.objectContaining({ check: 'checkpoint_matches_digest' }));
    // `--full` does not start from a checkpoint: it re-bases them.
    expect((await verify(true)).violations).toEqual([]);
    expect((await verify()).violations).toEqual([]);
  });

  it('refuses a checkpoint its signature does not vouch for: one forged to hide an edited posting', async () => {
    expect((await verify()).violations).toEqual([]);
    await move();
    const edited = await lastPostingOf(seller);
    await withEditedPosting(edited, async () => {
      // An insider who can write every table but has no KEK records a checkpoint over the edit, as
      // \`purse verify\` would (a valid digest, an audit entry), signed with a key of their own.
      const forger = { kek_id: currentKek().id, key: randomBytes(32) };
      const client = await t.db.pool.connect();
      try {
        await client.query('BEGIN');
        const previous = await latestCheckpoint(client);
        if (previous === undefined) throw new Error('a checkpoint was just recorded');
        await recordCheckpoint(client, {
          previous,
          full_check: false,
          postings_checked: 0,
          audit: chainPoint(previous),
          events_position: previous.events_position ?? '0',
          changed: null,
          now: new Date(),
          signer: forger,
        });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const run = await verify();
      expect(run.checkpoint).toBeUndefined();
      expect(run.violations).toEqual([
        expect.objectContaining({
          check: 'checkpoint_signature',
          detail: expect.stringContaining('does not carry the signature of its content'),
        }),
      ]);
    });
    // `--full` trusts no checkpoint and starts a new chain of them.
    expect((await verify(true)).violations).toEqual([]);
    expect((await verify()).violations).toEqual([]);
  });

  it('verifies, on the next run, the postings of a transaction that committed after the checkpoint', async () => {
    expect((await verify()).violations).toEqual([]);
    const client = await t.db.pool.connect();
    try {
      await client.query('BEGIN');
      // Started (and dated) before the checkpoint, committed after it.
      const [written] = await writeEntries(
        client,
        [
          {
            livemode: false,
            reason: 'transfer.posted',
            reference_id: 'tr_late',
            movements: [{ from: platform, to: seller, amount_minor: 100n, layer: 'posted' }],
          },
        ],
        new Date(Date.now() - 60_000),
      );
      expect(written?.ok).toBe(true);
      const during = await verify();
      expect(during.violations).toEqual([]);
      expect(during.postings_checked).toBe(0);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const late = await lastPostingOf(seller);
    const run = await withEditedPosting(late, verify);
    expect(run.violations).toContainEqual(
      expect.objectContaining({ check: 'posting_follows_previous', subject: late.id }),
    );
    const sound = await verify();
    expect(sound.violations).toEqual([]);
    expect(sound.postings_checked).toBe(2);
  });

  it('purse verify and purse verify --full: JSON on stdout, exit 1 and no checkpoint on a violation', async () => {
    const run = (args: string[]) => runPurse(['verify', '--json', ...args], { DATABASE_URL: t.db.url });
    await move();
    const incremental = run([]);
    expect(await incremental.exited, incremental.output()).toBe(0);
    expect(incremental.output()).toContain('"postings_checked": 2');
    const full = run(['--full']);
    expect(await full.exited, full.output()).toBe(0);
    expect(full.output()).toContain('"full_check": true');
    await move();
    const edited = await lastPostingOf(seller);
    await withEditedPosting(edited, async () => {
      const failing = run([]);
      expect(await failing.exited, failing.output()).toBe(1);
      expect(failing.output()).toContain(`"subject": "${edited.id}"`);
      expect(failing.output()).toContain('"checkpoint": null');
    });
  }, 60_000);
});
