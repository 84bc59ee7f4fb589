import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealAudit } from '../audit/seal.js';
import { createPool, type Pool } from '../db/pool.js';
import { foldEvents } from '../reports/rollups.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createTestDatabase, migrateUpTo } from '../test-support/database.js';
import { asApplicationRole } from '../test-support/global-setup.js';
import { expectProblem, funded, newWallet, postOk } from '../test-support/money.js';
import { runPurse } from '../test-support/process.js';
import { fileSha256 } from './archive-file.js';
import { recordEvents } from './outbox.js';
import { addEventPartitions, eventPartitions } from './partitions.js';
import { replayArchive } from './replay-archive.js';
import { archiveOldEvents } from './retention.js';
import { sequenceEvents } from './sequencer.js';
import { verifyEvents } from './verify-events.js';
import { type EventRow, type EventView, eventView, withData } from './view.js';

let t: TestApp;
/** The worker's role: it owns nothing, so dropping a partition goes through migration 0036's function. */
let app_pool: Pool;
beforeAll(async () => {
  t = await createTestApp();
  app_pool = createPool(asApplicationRole(t.db.url), 2);
});
afterAll(async () => {
  await app_pool.end();
  await t.close();
});

const day_ms = 86_400_000;

async function partitionOf(event_id: string): Promise<string | undefined> {
  const found = await t.db.pool.query<{ partition: string }>(
    'SELECT tableoid::regclass::text AS partition FROM events WHERE id = $1',
    [event_id],
  );
  return found.rows[0]?.partition;
}

/** An event as the outbox writes it; with a position, numbered by hand as the sequencer would. */
async function insertEvent(id: string, created_at: string, position?: number): Promise<void> {
  await t.db.pool.query(
    `INSERT INTO events (id, livemode, type, object_id, data, created_at)
     VALUES ($1, false, 'holder.created', 'hol_x', '{}', $2)`,
    [id, created_at],
  );
  if (position !== undefined) await numberEvent(id, position);
}

async function numberEvent(id: string, position: number): Promise<void> {
  await t.db.pool.query('UPDATE events SET position = $2 WHERE id = $1 AND position IS NULL', [id, position]);
}

describe('events partitioned by month (migration 0036)', () => {
  it('keeps each event in the unsequenced partition until numbered, then in its month (migration 0042)', async () => {
    expect(await addEventPartitions(app_pool, new Date('2031-03-15T12:00:00Z'))).toBe(3);
    expect(await addEventPartitions(app_pool, new Date('2031-03-15T12:00:00Z'))).toBe(0);
    await insertEvent('evt_route_march', '2031-03-31T23:59:59.999999Z');
    expect(await partitionOf('evt_route_march')).toBe('events_unsequenced');
    await numberEvent('evt_route_march', 800000001);
    await insertEvent('evt_route_april', '2031-04-01T00:00:00Z', 800000002);
    await insertEvent('evt_route_far', '2040-01-10T00:00:00Z', 800000003);
    expect(await partitionOf('evt_route_march')).toBe('events_p203103');
    expect(await partitionOf('evt_route_april')).toBe('events_p203104');
    expect(await partitionOf('evt_route_far')).toBe('events_default');
    // The default holds an event of January 2040: that month gets no partition of its own.
    expect(await addEventPartitions(app_pool, new Date('2040-01-01T00:00:00Z'))).toBe(2);
    expect(await partitionOf('evt_route_far')).toBe('events_default');
    const names = (await eventPartitions(t.db.pool)).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['events_p203103', 'events_p204002', 'events_p204003']));
    expect(names).not.toContain('events_p204001');
    expect(names).not.toContain('events_default');
    expect(names).not.toContain('events_unsequenced');
  });

  it('indexes every partition, those created later too, by a hash of the object id and uniquely by (livemode, id) (migration 0043)', async () => {
    await addEventPartitions(app_pool, new Date('2033-07-01T00:00:00Z'));
    const indexes = await t.db.pool.query<{ partition: string; definition: string }>(
      `SELECT tree.relid::text AS partition, pg_get_indexdef(x.indexrelid) AS definition
       FROM pg_partition_tree('events') tree JOIN pg_index x ON x.indrelid = tree.relid
       WHERE tree.isleaf`,
    );
    const partitions = [
      ...(await eventPartitions(t.db.pool)).map((p) => p.name),
      'events_default',
      'events_unsequenced',
    ];
    expect(partitions).toContain('events_p203307');
    for (const partition of partitions) {
      const definitions = indexes.rows
        .filter((row) => row.partition === partition)
        .map((row) => row.definition.replace(/ \S+ ON \S+ USING /, ' '));
      const expected = [
        'CREATE INDEX hash (object_id)',
        'CREATE UNIQUE INDEX btree ("position") WHERE ("position" IS NOT NULL)',
        'CREATE UNIQUE INDEX btree (livemode, id)',
        ...(partition === 'events_unsequenced' ? ['CREATE UNIQUE INDEX btree (seq)'] : []),
      ];
      expect(definitions.sort(), partition).toEqual(expected.sort());
    }
    expect(indexes.rows).toHaveLength(3 * partitions.length + 1);
    // Unique within a mode: the same id in the other mode is another event. Rolled back, as the
    // tests below count the events.
    const client = await t.db.pool.connect();
    const insert = (livemode: boolean) =>
      client.query(
        `INSERT INTO events (id, livemode, type, object_id, data, created_at)
         VALUES ('evt_mode_1', $1, 'holder.created', 'hol_x', '{}', '2031-03-09T00:00:00Z')`,
        [livemode],
      );
    try {
      await client.query('BEGIN');
      await insert(false);
      await insert(true);
      await expect(insert(false)).rejects.toThrow(/duplicate key/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('keeps events immutable, permanent and their ids and positions unique', async () => {
    await insertEvent('evt_guard_1', '2031-03-02T00:00:00Z');
    await insertEvent('evt_guard_2', '2031-03-03T00:00:00Z');
    await expect(
      t.db.pool.query(`UPDATE events SET data = '{"x":1}' WHERE id = 'evt_guard_1'`),
    ).rejects.toThrow(/immutable/);
    await expect(insertEvent('evt_guard_2', '2031-03-09T00:00:00Z')).rejects.toThrow(/duplicate key/);
    await numberEvent('evt_guard_1', 900000001);
    expect(await partitionOf('evt_guard_1')).toBe('events_p203103');
    await expect(t.db.pool.query(`UPDATE events_p203103 SET type = 'holder.updated'`)).rejects.toThrow(
      /immutable/,
    );
    for (const table of ['events', 'events_p203103', 'events_unsequenced']) {
      await expect(t.db.pool.query(`DELETE FROM ${table} WHERE id LIKE 'evt_guard_%'`)).rejects.toThrow(
        /permanent|restrict/i,
      );
      await expect(t.db.pool.query(`TRUNCATE ${table}`)).rejects.toThrow(/permanent|restrict/i);
    }
    // Moving into a month whose partition holds the position already is refused there.
    await expect(numberEvent('evt_guard_2', 900000001)).rejects.toThrow(/duplicate key/);
    // Set once: a second number is refused, and so is taking it away (back to the unsequenced).
    await expect(
      t.db.pool.query(`UPDATE events SET position = 900000002 WHERE id = 'evt_guard_1'`),
    ).rejects.toThrow(/immutable/);
    await expect(
      t.db.pool.query(`UPDATE events SET position = NULL WHERE id = 'evt_guard_1'`),
    ).rejects.toThrow(/immutable/);
    // The application role cannot drop a partition, nor use the owner's function on one never archived.
    await expect(app_pool.query('DROP TABLE events_p203103')).rejects.toThrow(/owner|permission/);
    await expect(app_pool.query('DROP TABLE events_unsequenced')).rejects.toThrow(/owner|permission/);
    await expect(app_pool.query(`SELECT events_drop_archived_partition('events_p203103')`)).rejects.toThrow(
      /no archived events partition/,
    );
    await expect(
      app_pool.query(`SELECT events_drop_archived_partition('events_unsequenced')`),
    ).rejects.toThrow(/no archived events partition/);
  });

  it('leaves uniqueness across partitions to the sequencer, and purse verify catches a breach', async () => {
    // 900000001 was set by hand above, far past the sequencer's numbers: a gap.
    const gap = expect.objectContaining({
      check: 'event_positions',
      detail: expect.stringContaining('a gap or a repeat'),
    });
    expect((await verifyEvents(t.db.pool)).violations).toContainEqual(gap);
    // From a checkpoint below it too, reading only what came after.
    expect((await verifyEvents(t.db.pool, '1')).violations).toContainEqual(gap);
    // Another month's partition has its own unique index: only the check sees the repeat.
    await insertEvent('evt_repeat_april', '2031-04-02T00:00:00Z', 900000001);
    const repeat = { check: 'event_positions', subject: 'position 900000001', detail: 'held by two events' };
    expect((await verifyEvents(t.db.pool)).violations).toContainEqual(repeat);
    expect((await verifyEvents(t.db.pool, '1')).violations).toContainEqual(repeat);
    // Above the positions in question, the incremental check does not look at them.
    expect((await verifyEvents(t.db.pool, '900000001')).violations).toEqual([]);
  });

  it('finds an id held in two partitions, from the start and for an event after a checkpoint', async () => {
    await insertEvent('evt_twice', '2031-04-09T00:00:00Z', 900000002);
    await insertEvent('evt_twice', '2031-05-09T00:00:00Z');
    const twice = { check: 'event_ids', subject: 'evt_twice', detail: 'two events have this id' };
    expect((await verifyEvents(t.db.pool)).violations).toContainEqual(twice);
    // Not yet numbered: new, whatever the checkpoint.
    expect((await verifyEvents(t.db.pool, '900000002')).violations).toContainEqual(twice);
  });

  it('finds a new event whose id an event numbered before the checkpoint holds in another partition', async () => {
    await insertEvent('evt_reused', '2031-04-10T00:00:00Z', 900000010);
    // Numbered after the checkpoint, in June (the default partition), ids on both sides of it:
    // the range read in April covers it.
    for (const [index, id] of ['evt_reuse', 'evt_reused', 'evt_reusef'].entries())
      await insertEvent(id, '2031-06-10T00:00:00Z', 900000011 + index);
    const reused = { check: 'event_ids', subject: 'evt_reused', detail: 'two events have this id' };
    expect((await verifyEvents(t.db.pool, '900000010')).violations).toContainEqual(reused);
  });
});

describe('migration 0036 on a database with events', () => {
  it('attaches the existing table as it is, moving only events dated after this month', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const m0036 = await migrateUpTo(db, '0036_');
      await db.pool.query(
        `INSERT INTO events (id, livemode, type, object_id, data, created_at, position)
         SELECT 'evt_old_' || g, false, 'holder.created', 'hol_' || g, '{}', now() - make_interval(days => g), g
         FROM generate_series(1, 500) AS g;
         INSERT INTO events (id, livemode, type, object_id, data, created_at)
         VALUES ('evt_clock_ahead', false, 'holder.created', 'hol_ahead', '{}', '2035-06-01')`,
      );
      const file_node = async (table: string) =>
        (
          await db.pool.query<{ node: string }>('SELECT pg_relation_filenode($1::regclass)::text AS node', [
            table,
          ])
        ).rows[0]?.node;
      const before = await file_node('events');
      await db.pool.query(m0036);
      // The same file on disk: not rewritten.
      expect(await file_node('events_initial')).toBe(before);
      const placed = await db.pool.query<{ partition: string; n: string }>(
        'SELECT tableoid::regclass::text AS partition, count(*)::text AS n FROM events GROUP BY 1 ORDER BY 1',
      );
      expect(placed.rows).toEqual([
        { partition: 'events_default', n: '1' },
        { partition: 'events_initial', n: '500' },
      ]);
      // The sequence goes on after the identity's last value.
      const next = await db.pool.query<{ seq: string }>(
        `INSERT INTO events (id, livemode, type, object_id, data, created_at)
         VALUES ('evt_after', false, 'holder.created', 'hol_after', '{}', now()) RETURNING seq::text`,
      );
      expect(Number(next.rows[0]?.seq)).toBeGreaterThan(501);
    } finally {
      await db.drop();
    }
  });
});

describe('event retention', () => {
  it('waits for unsequenced, undelivered and unfolded events, then archives, drops, answers 410 and replays', async () => {
    const archive_dir = await mkdtemp(path.join(tmpdir(), 'purse-archive-'));
    const config = { ...t.config.events, retention_days: 30, archive_dir };
    const wallet = await funded(t, '10.00');
    // A transfer posted at once: its event refers to it, archived without data and replayed with it.
    const moved = await postOk(t, '/v1/transfers', {
      source_wallet_id: wallet,
      destination_wallet_id: await newWallet(t),
      amount: '1.00',
      currency: 'USD',
    });
    // Past the end of the first partition (this month) by more than the retention age.
    const first = (await eventPartitions(t.db.pool))[0];
    expect(first?.name).toBe('events_initial');
    const later = new Date((first?.range_end.getTime() ?? 0) + 31 * day_ms);
    expect(await archiveOldEvents(app_pool, { ...config, retention_days: undefined }, later)).toEqual({
      archived: [],
      waiting: [],
    });

    await recordEvents(
      t.db.pool,
      [{ livemode: false, type: 'holder.created', data: { id: 'hol_late', object: 'holder' } }],
      t.clock.now(),
    );
    expect((await archiveOldEvents(app_pool, config, later)).waiting).toContainEqual({
      partition: 'events_initial',
      reason: 'unsequenced events',
    });
    await sequenceEvents(t.db.pool, 1_000, t.clock.now());
    const pending = await t.db.pool.query<{ id: string }>(
      `SELECT id FROM events WHERE object_id = $1 ORDER BY position DESC LIMIT 1`,
      [wallet],
    );
    await t.db.pool.query(
      `INSERT INTO webhook_endpoints (id, livemode, url, enabled_events, secret, created_at, updated_at)
       VALUES ('we_retention', false, 'http://localhost:9/hook', '{*}', 'whsec_x', now(), now());
       INSERT INTO webhook_deliveries (id, endpoint_id, event_id, object_id, position, status, next_attempt_at, created_at, updated_at)
       SELECT 'whd_retention', 'we_retention', id, object_id, position, 'pending', now(), now(), now()
       FROM events WHERE id = '${pending.rows[0]?.id}'`,
    );
    expect((await archiveOldEvents(app_pool, config, later)).waiting).toContainEqual({
      partition: 'events_initial',
      reason: 'pending webhook deliveries',
    });
    await t.db.pool.query(
      `UPDATE webhook_deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE id = 'whd_retention'`,
    );
    expect((await archiveOldEvents(app_pool, config, later)).waiting).toContainEqual({
      partition: 'events_initial',
      reason: 'events not folded into the rollups',
    });
    await foldEvents(t.db.pool, 10_000, 100);

    const rows = await t.db.pool.query<EventRow>('SELECT * FROM events_initial ORDER BY position');
    expect(rows.rows.filter((row) => row.data === null).map((row) => row.object_id)).toEqual([moved.id]);
    const before: EventView[] = (await withData(t.db.pool, rows.rows)).map(eventView);
    expect(before.find((event) => event.data.object.id === moved.id)?.data.object).toEqual(moved);
    expect(before.length).toBeGreaterThan(3);
    const one = before.find((event) => !event.livemode);
    const shown = await t.request({ method: 'GET', url: `/v1/events/${one?.id}` });
    expect(shown.json()).toEqual(one);

    expect(await archiveOldEvents(app_pool, config, later)).toEqual({
      archived: ['events_initial'],
      waiting: [],
    });
    const recorded = await t.db.pool.query<{ sha256: string; event_count: string; file_name: string }>(
      `SELECT sha256, event_count, file_name FROM event_archives WHERE partition_name = 'events_initial'`,
    );
    const archive = recorded.rows[0];
    expect(archive?.event_count).toBe(String(before.length));
    const file_path = path.join(archive_dir, archive?.file_name ?? '');
    expect(await fileSha256(file_path)).toBe(archive?.sha256);
    // The transfer's event, stored without its copy, has one in its line: the file replays alone.
    const lines = (await readFile(file_path, 'utf8')).trim().split('\n');
    const copied = lines.map((line) => JSON.parse(line)).find((row) => row.object_id === moved.id);
    expect(copied?.data).toMatch(/^pse1\./);
    expect((await t.db.pool.query(`SELECT to_regclass('events_initial') AS r`)).rows[0]?.r).toBeNull();

    const gone = await t.request({ method: 'GET', url: `/v1/events/${one?.id}` });
    expectProblem(gone, 410, 'event_archived');
    expect(gone.json().detail).toContain('events_initial.jsonl');
    // Never an event: still a plain 404.
    expectProblem(await t.request({ method: 'GET', url: '/v1/events/evt_nope' }), 404, 'resource_not_found');

    // The audit entry must be sealed into the chain before the archive is accepted back.
    const early = await replayArchive(t.db.pool, file_path, () => undefined);
    expect(early).toMatchObject({ ok: false, reason: expect.stringContaining('audit chain') });
    await sealAudit(t.db.pool);
    const replayed: EventView[] = [];
    const result = await replayArchive(t.db.pool, file_path, (event) => {
      replayed.push(event);
    });
    expect(result).toEqual({ ok: true, event_count: before.length, sha256: archive?.sha256 });
    expect(replayed).toEqual(before);
    // The command: the same events, one a line, into a file of its own.
    const out_path = path.join(archive_dir, 'replayed.jsonl');
    const run = runPurse(['events', 'replay', '--archive', file_path, '--out', out_path], {
      DATABASE_URL: t.db.url,
    });
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toContain(`replayed ${before.length} events`);
    const written = (await readFile(out_path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(written).toEqual(before);

    // One byte changed: refused.
    const bytes = await readFile(file_path, 'utf8');
    await writeFile(file_path, bytes.replace('"livemode":false', '"livemode":true '));
    const tampered = await replayArchive(t.db.pool, file_path, () => undefined);
    expect(tampered).toMatchObject({ ok: false, reason: expect.stringContaining('recorded') });
    const refused = runPurse(['events', 'replay', '--archive', file_path, '--out', `${out_path}.2`], {
      DATABASE_URL: t.db.url,
    });
    expect(await refused.exited, refused.output()).toBe(1);
    expect(refused.output()).toContain('refused');
  });
});
