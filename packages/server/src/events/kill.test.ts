import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealAudit } from '../audit/seal.js';
import { foldEvents } from '../reports/rollups.js';
import { freePort } from '../shared/ports.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { runPurse } from '../test-support/process.js';
import { fileSha256 } from './archive-file.js';
import { eventPartitions } from './partitions.js';
import { replayArchive } from './replay-archive.js';
import { sequenceEvents } from './sequencer.js';
import { verifyEvents } from './verify-events.js';

/**
 * Issue 21's failures, with real processes killed by SIGKILL: the sequencer in the middle of its
 * rounds, and a retention run in the middle of writing and of recording an archive.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const server_root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const day_ms = 86_400_000;

/** `count` events with a payload of about 1 KB each, unsequenced, in the current month. */
async function insertEvents(count: number, label: string): Promise<void> {
  await t.db.pool.query(
    `INSERT INTO events (id, livemode, type, object_id, data, created_at)
     SELECT 'evt_${label}_' || g, false, 'holder.created', 'hol_${label}_' || g,
            json_build_object('id', 'hol_${label}_' || g, 'object', 'holder', 'name', repeat('x', 1000)), now()
     FROM generate_series(1, $1::int) AS g`,
    [count],
  );
}

async function positions(): Promise<{ sequenced: number; largest: number; distinct: number }> {
  const found = await t.db.pool.query<{ sequenced: string; largest: string; distinct: string }>(
    `SELECT count(position) AS sequenced, coalesce(max(position), 0) AS largest,
       count(DISTINCT position) AS distinct FROM events`,
  );
  const row = found.rows[0];
  return {
    sequenced: Number(row?.sequenced),
    largest: Number(row?.largest),
    distinct: Number(row?.distinct),
  };
}

async function waitUntil(condition: () => Promise<boolean>, timeout_ms: number): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('a sequencer killed in the middle', () => {
  it('leaves positions 1..n without a gap or a repeat, and the next one carries on from there', async () => {
    const backlog = 30_000;
    await insertEvents(backlog, 'seq');
    const port = await freePort();
    const server = runPurse(['serve'], { DATABASE_URL: t.db.url, PORT: String(port), HOST: '127.0.0.1' });
    // Rounds of 1,000: killed after some committed, most likely in the middle of one.
    await waitUntil(async () => (await positions()).sequenced >= 3_000, 60_000);
    server.child.kill('SIGKILL');
    await server.exited;
    const after_kill = await positions();
    expect(after_kill.sequenced).toBeGreaterThanOrEqual(3_000);
    expect(after_kill.largest).toBe(after_kill.sequenced);
    expect(after_kill.distinct).toBe(after_kill.sequenced);

    await sequenceEvents(t.db.pool, 1_000, t.clock.now());
    const total = Number((await t.db.pool.query('SELECT count(*) AS n FROM events')).rows[0]?.n);
    expect(await positions()).toEqual({ sequenced: total, largest: total, distinct: total });
    expect((await verifyEvents(t.db.pool)).violations).toEqual([]);
  }, 120_000);
});

/** A process of its own that runs one retention pass as of `now`, as the worker's task would. */
function archiveInChild(archive_dir: string, now: Date) {
  const script = `
    import { createPool } from './src/db/pool.ts';
    import { archiveOldEvents } from './src/events/retention.ts';
    const pool = createPool(process.env.DATABASE_URL, 4);
    const config = { retention_days: 30, archive_dir: process.env.ARCHIVE_DIR };
    const outcome = await archiveOldEvents(pool, config, new Date(process.env.NOW));
    console.log(JSON.stringify(outcome));
    await pool.end();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: server_root,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: t.db.url,
      ARCHIVE_DIR: archive_dir,
      NOW: now.toISOString(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk));
  return { child, exited: new Promise((resolve) => child.on('exit', resolve)), output: () => output };
}

describe('a retention run killed in the middle', () => {
  it('leaves every event in the database or in a recorded archive that verifies, never lost', async () => {
    const archive_dir = await mkdtemp(path.join(tmpdir(), 'purse-archive-kill-'));
    await insertEvents(40_000, 'ret');
    await sequenceEvents(t.db.pool, 10_000, t.clock.now());
    await foldEvents(t.db.pool, 10_000, 100);
    const first = (await eventPartitions(t.db.pool))[0];
    expect(first?.name).toBe('events_initial');
    const later = new Date((first?.range_end.getTime() ?? 0) + 31 * day_ms);
    const stored = await t.db.pool.query<{ id: string }>('SELECT id FROM events_initial ORDER BY position');
    const file_path = path.join(archive_dir, 'events_initial.jsonl');
    const recorded = async () =>
      (await t.db.pool.query("SELECT 1 FROM event_archives WHERE partition_name = 'events_initial'"))
        .rowCount === 1;
    const kept = async () =>
      Number((await t.db.pool.query('SELECT count(*) AS n FROM events_initial')).rows[0]?.n) ===
      stored.rows.length;

    // Killed while the file is being written: the partition and every event stay, nothing recorded.
    const writing = archiveInChild(archive_dir, later);
    await waitUntil(async () => existsSync(`${file_path}.partial`), 60_000);
    writing.child.kill('SIGKILL');
    await writing.exited;
    expect(await recorded()).toBe(false);
    expect(await kept()).toBe(true);

    // Killed once the file is complete (while it is read back, recorded or the partition dropped):
    // either nothing happened, or all of it did.
    const recording = archiveInChild(archive_dir, later);
    await waitUntil(async () => existsSync(file_path), 60_000);
    recording.child.kill('SIGKILL');
    await recording.exited;
    expect(await recorded()).not.toBe(await kept());

    // A later run finishes; the archive holds every event, once, in order.
    const finishing = archiveInChild(archive_dir, later);
    await finishing.exited;
    expect(await recorded(), finishing.output()).toBe(true);
    const archive = await t.db.pool.query<{ sha256: string }>(
      "SELECT sha256 FROM event_archives WHERE partition_name = 'events_initial'",
    );
    expect(await fileSha256(file_path)).toBe(archive.rows[0]?.sha256);
    await sealAudit(t.db.pool);
    const replayed: string[] = [];
    const result = await replayArchive(t.db.pool, file_path, (event) => {
      replayed.push(event.id);
    });
    expect(result.ok).toBe(true);
    expect(replayed).toEqual(stored.rows.map((row) => row.id));
    expect((await verifyEvents(t.db.pool)).violations).toEqual([]);
  }, 180_000);
});
