import { chain_start, walkAuditChain } from '../audit/verify.js';
import type { Client, Pool } from '../db/pool.js';
import { type EventsVerified, verifyEvents } from '../events/verify-events.js';
import { assert } from '../shared/assert.js';
import { type CheckpointSigner, processSigner } from './checkpoint-signature.js';
import {
  type Checkpoint,
  chainPoint,
  checkCheckpoint,
  latestCheckpoint,
  recordCheckpoint,
} from './checkpoints.js';
import { assetSums, floors, lastPostings, type Violation } from './verify.js';
import { changedFrom } from './verify-changed.js';
import { checkEntries } from './verify-entries.js';
import {
  type AccountBatch,
  accountBatches,
  addStrays,
  checkAccountBatch,
  noStrays,
} from './verify-postings.js';
import { tailPage, tailStart } from './verify-tail.js';
import { checkNewEntries, readTail, type TailReading } from './verify-tail-entries.js';

/** One `purse verify` at a time: a second one waits, then starts from the first one's checkpoint. */
const verify_lock_id = 7_270_185_035;
const verify_work_mem = '128MB';

export interface VerifyRun {
  readonly violations: Violation[];
  readonly postings_checked: number;
  /** The checkpoint recorded; none when a violation was found. */
  readonly checkpoint: Checkpoint | undefined;
}

/**
 * `purse verify`: checks what was written since the latest checkpoint (everything with `full`):
 * event positions and ids, postings and entries, the whole ledger's account-level invariants, and
 * the audit chain from the checkpoint's entry on,
 * all in one REPEATABLE READ snapshot, and records a new checkpoint when nothing is wrong.
 * `on_postings` is told each batch's size and, first, how many postings the run will check.
 */
export async function verifyAndCheckpoint(
  pool: Pool,
  options: {
    full: boolean;
    now: Date;
    /** Signs the checkpoint; by default the process's KEK (installProcessKek must have run). */
    signer?: CheckpointSigner;
    on_total?: (postings: number) => void;
    on_postings?: (count: number) => void;
  },
): Promise<VerifyRun> {
  const [client, second] = await connectTwo(pool);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [verify_lock_id]);
    try {
      return await inSnapshot(client, second, async () => {
        const previous = await latestCheckpoint(client);
        const trusted = options.full || previous === undefined ? undefined : previous;
        const from_start = trusted === undefined;
        // Only the accounts written since the checkpoint are read, when it says which (verify-changed.ts).
        const changed_from = trusted === undefined ? undefined : await changedFrom(client, trusted);
        // The entries read the new postings from the heap's tail when that reads less (verify-tail.ts).
        const [violations, { batches, changed }, page] = await Promise.all([
          from_start ? ([] as Violation[]) : checkCheckpoint(client, trusted),
          accountBatches(client, from_start, changed_from),
          from_start ? undefined : tailPage(second, changed_from),
        ]);
        const postings_checked = batches.reduce((sum, batch) => sum + batch.postings, 0);
        options.on_total?.(postings_checked);
        let events: EventsVerified | undefined;
        let audit: Awaited<ReturnType<typeof walkAuditChain>> | undefined;
        const ledger = ledgerChecks(batches, { from_start, page, changed, on_postings: options.on_postings });
        // Events are not money, but a sequencer that skipped or repeated a position breaks every
        // stream reader, and the checkpoint vouches for them too. The longest checks first, the
        // account batches from the largest down, and the short ones last: whichever connection
        // finishes its share first takes the next, and the two finish close together.
        const checks: Check[] = [
          ledger.entries,
          async (db) => {
            events = await verifyEvents(db, trusted?.events_position ?? null);
            return events.violations;
          },
          ...ledger.accounts,
          async (db) => {
            audit = await walkAuditChain(db, from_start ? chain_start : chainPoint(trusted));
            return audit.violations;
          },
          ...[lastPostings, assetSums, floors].map(
            (check) => (db: Client) => check(db, null, changed ?? 'every'),
          ),
        ];
        violations.push(...(await onBoth([client, second], checks)).flat(), ...(await ledger.settle(client)));
        assert(events !== undefined && audit !== undefined, 'the events and audit checks ran');
        const checkpoint =
          violations.length > 0
            ? undefined
            : await recordCheckpoint(client, {
                previous,
                full_check: from_start,
                postings_checked,
                audit: audit.reached,
                events_position: events.position_through,
                changed,
                now: options.now,
                signer: options.signer ?? processSigner(),
              });
        return { violations, postings_checked, checkpoint };
      });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [verify_lock_id]);
    }
  } finally {
    second.release();
    client.release();
  }
}

type Check = (db: Client) => Promise<Violation[]>;

/**
 * The entries' check and the account batches' (the largest first), and what settles the entries
 * afterwards. With a tail (`page`) the entries are read from it, and settled with the new
 * postings before it that the account checks name (verify-tail-entries.ts); otherwise they are
 * checked whole at once.
 */
function ledgerChecks(
  batches: readonly AccountBatch[],
  run: {
    from_start: boolean;
    page: number | undefined;
    changed: readonly string[] | null;
    on_postings: ((count: number) => void) | undefined;
  },
): { entries: Check; accounts: Check[]; settle: (db: Client) => Promise<Violation[]> } {
  const { from_start, page, changed } = run;
  const tail_start = page === undefined ? undefined : tailStart(page);
  let tail: TailReading | undefined;
  const strays = noStrays();
  return {
    entries: async (db) => {
      if (from_start) return checkEntries(db, 'all', null);
      if (page === undefined) return checkEntries(db, 'since', null, changed);
      tail = await readTail(db, page, changed);
      return [];
    },
    accounts: batches
      .toSorted((a, b) => b.postings - a.postings)
      .map((batch) => async (db) => {
        const found = await checkAccountBatch(db, batch, from_start, tail_start);
        addStrays(strays, found.strays);
        run.on_postings?.(batch.postings);
        return found.violations;
      }),
    settle: async (db) => (tail === undefined ? [] : checkNewEntries(db, tail, strays)),
  };
}

/** Two connections of `pool`, opened at once; neither is left checked out when one fails. */
async function connectTwo(pool: Pool): Promise<[Client, Client]> {
  const [first, second] = await Promise.allSettled([pool.connect(), pool.connect()]);
  if (first.status === 'fulfilled' && second.status === 'fulfilled') return [first.value, second.value];
  for (const opened of [first, second]) if (opened.status === 'fulfilled') opened.value.release();
  throw first.status === 'rejected' ? first.reason : (second as PromiseRejectedResult).reason;
}

/**
 * Runs `work` in one REPEATABLE READ snapshot shared by both connections (the second imports the
 * first's), then commits the first (the checkpoint) unless a violation was found.
 */
async function inSnapshot(
  client: Client,
  second: Client,
  work: () => Promise<VerifyRun>,
): Promise<VerifyRun> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await second.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const snapshot = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    await second.query(`SET TRANSACTION SNAPSHOT '${snapshot.rows[0]?.id}'`);
    // The entries' aggregate hashes every new posting, and a window may hold an account's new
    // ones however many: in memory, not in temporary files. The planner's estimates for the
    // per-account range scans are large enough to trigger JIT compilation, which costs more than it
    // saves on queries this short. Those range scans read postings that are in shared buffers, in
    // index order: a bitmap of their addresses built first only adds work (6 to 8% of the account
    // checks when measured: 177 against 188 ms for 100,000 postings of one account).
    // One round trip for the three (a simple query may hold several statements).
    for (const db of [client, second]) {
      await db.query(
        `SET LOCAL work_mem = '${verify_work_mem}'; SET LOCAL jit = off; SET LOCAL enable_bitmapscan = off`,
      );
    }
    const run = await work();
    await second.query('COMMIT');
    await client.query(run.violations.length > 0 ? 'ROLLBACK' : 'COMMIT');
    return run;
  } catch (error) {
    await second.query('ROLLBACK');
    await client.query('ROLLBACK');
    throw error;
  }
}

/**
 * Runs the checks on both connections of the snapshot, each taking the next one left when it is
 * done: on two cores the run takes about half their sum. Returns their results in order.
 */
async function onBoth<T>(
  connections: readonly Client[],
  checks: readonly ((db: Client) => Promise<T>)[],
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    connections.map(async (db) => {
      for (let index = next++; index < checks.length; index = next++) {
        const check = checks[index];
        assert(check !== undefined, 'a check for every index taken');
        results[index] = await check(db);
      }
    }),
  );
  return results;
}
