import { mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { foldEvents } from '../reports/rollups.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { funded, newWallet, postOk } from '../test-support/money.js';
import { eventPartitions } from './partitions.js';
import { ArchiveNotVerified, archiveOldEvents } from './retention.js';
import { sequenceEvents } from './sequencer.js';

/** What happens to the archive file once written, before retention reads it back. */
const damage = vi.hoisted(() => ({
  current: undefined as undefined | ((file_path: string) => Promise<void>),
}));

// The disk (or someone with access to it) changes the file between writing and reading back.
vi.mock('./archive-file.js', async (load) => {
  const actual = await load<typeof import('./archive-file.js')>();
  return {
    ...actual,
    writeArchiveFile: async (...args: Parameters<typeof actual.writeArchiveFile>) => {
      const summary = await actual.writeArchiveFile(...args);
      await damage.current?.(path.join(args[0], args[1]));
      return summary;
    },
  };
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const day_ms = 86_400_000;

describe('an archive that does not read back as its events', () => {
  it('is refused: the partition stays whole, nothing is recorded; an intact one is then accepted', async () => {
    const archive_dir = await mkdtemp(path.join(tmpdir(), 'purse-archive-verify-'));
    const config = { ...t.config.events, retention_days: 30, archive_dir };
    const source = await funded(t, '10.00');
    // Its event is stored without a copy of the transfer; the archive line carries one.
    const moved = await postOk(t, '/v1/transfers', {
      source_wallet_id: source,
      destination_wallet_id: await newWallet(t),
      amount: '1.00',
      currency: 'USD',
    });
    await sequenceEvents(t.db.pool, 1_000, t.clock.now());
    await foldEvents(t.db.pool, 10_000, 100);
    const first = (await eventPartitions(t.db.pool))[0];
    const later = new Date((first?.range_end.getTime() ?? 0) + 31 * day_ms);
    const count = async () =>
      Number((await t.db.pool.query('SELECT count(*) AS n FROM events_initial')).rows[0]?.n);
    const events_before = await count();
    expect(events_before).toBeGreaterThan(1);

    const damages: ((file_path: string) => Promise<void>)[] = [
      async (file_path) =>
        writeFile(
          file_path,
          (await readFile(file_path, 'utf8')).replace('"livemode":false', '"livemode":fals '),
        ),
      async (file_path) => truncate(file_path, (await readFile(file_path)).length - 2),
      async (file_path) => writeFile(file_path, `${await readFile(file_path, 'utf8')}{}\n`),
      // The transfer's copy swapped for another event's sealed payload: it opens, to something else.
      async (file_path) => {
        const lines = (await readFile(file_path, 'utf8')).trim().split('\n');
        const rows = lines.map((line) => JSON.parse(line) as { object_id: string; data: string });
        const other = rows.find((row) => row.object_id !== moved.id)?.data ?? '';
        const swapped = lines.map((line, index) =>
          rows[index]?.object_id === moved.id
            ? line.replace(JSON.stringify(rows[index]?.data), JSON.stringify(other))
            : line,
        );
        await writeFile(file_path, `${swapped.join('\n')}\n`);
      },
    ];
    for (const harm of damages) {
      damage.current = harm;
      await expect(archiveOldEvents(t.db.pool, config, later)).rejects.toThrow(ArchiveNotVerified);
      expect(await count()).toBe(events_before);
      expect((await t.db.pool.query('SELECT 1 FROM event_archives')).rowCount).toBe(0);
      expect(
        (await t.db.pool.query("SELECT 1 FROM audit_logs WHERE action = 'events.archived'")).rowCount,
      ).toBe(0);
    }

    damage.current = undefined;
    expect(await archiveOldEvents(t.db.pool, config, later)).toEqual({
      archived: ['events_initial'],
      waiting: [],
    });
    expect((await t.db.pool.query('SELECT event_count FROM event_archives')).rows[0]?.event_count).toBe(
      String(events_before),
    );
  });
});
