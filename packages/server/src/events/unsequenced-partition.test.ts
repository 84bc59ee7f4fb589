import { describe, expect, it } from 'vitest';
import { createTestDatabase, migrateUpTo } from '../test-support/database.js';
import { recordEvents } from './outbox.js';
import { sequenceEvents } from './sequencer.js';

const now = new Date('2026-12-05T12:00:00Z');

function holderEvents(count: number, prefix: string) {
  return Array.from({ length: count }, (_, index) => ({
    livemode: false,
    type: 'holder.created' as const,
    data: { id: `hol_${prefix}_${index}`, object: 'holder', name: `Holder ${index} of a test of bytes` },
  }));
}

describe('events numbered by moving them (migration 0042)', () => {
  it('writes each event into its month once: numbering leaves no dead copy there', async () => {
    const db = await createTestDatabase();
    try {
      await db.pool.query(`SELECT events_add_partition('2031-03-01')`);
      const march = new Date('2031-03-10T00:00:00Z');
      for (let batch = 0; batch < 4; batch++)
        await recordEvents(db.pool, holderEvents(500, `b${batch}`), march);
      expect(await sequenceEvents(db.pool, 1_000, now)).toBe(2_000);
      const sizes = await db.pool.query<{ heap_bytes: string; row_bytes: string; rows: string }>(
        `SELECT pg_relation_size('events_p203103')::text AS heap_bytes,
           (SELECT sum(pg_column_size(e.*) + 4) FROM events_p203103 e)::text AS row_bytes,
           (SELECT count(*) FROM events_p203103)::text AS rows`,
      );
      const { heap_bytes = '0', row_bytes = '0', rows = '0' } = sizes.rows[0] ?? {};
      expect(rows).toBe('2000');
      // The live rows and a page's worth of slack. An UPDATE in place left the month twice as big
      // (this test database never vacuums): the first version of every row, dead.
      expect(Number(heap_bytes)).toBeLessThan(Number(row_bytes) * 1.15 + 8_192);
      const waiting = await db.pool.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM events_unsequenced',
      );
      expect(waiting.rows[0]?.n).toBe('0');
    } finally {
      await db.drop();
    }
  });

  it('refuses a waiting event with the seq of another, which the sequencer would number twice', async () => {
    const db = await createTestDatabase();
    try {
      await recordEvents(db.pool, holderEvents(1, 'first'), now);
      await expect(
        db.pool.query(
          `INSERT INTO events (seq, id, livemode, type, object_id, data, created_at)
           SELECT seq, 'evt_same_seq', false, 'holder.created', 'hol_same_seq', '{}', now() FROM events`,
        ),
      ).rejects.toThrow(/duplicate key/);
      expect(await sequenceEvents(db.pool, 1_000, now)).toBe(1);
    } finally {
      await db.drop();
    }
  });

  it('moves the events not yet numbered out of their months and leaves the numbered ones in place', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const sql = await migrateUpTo(db, '0042_');
      await db.pool.query(
        `INSERT INTO events (id, livemode, type, object_id, data, created_at, position)
         SELECT 'evt_old_' || g, false, 'holder.created', 'hol_' || g, '{}', now() - make_interval(days => g), g
         FROM generate_series(1, 300) AS g;
         INSERT INTO events (id, livemode, type, object_id, data, created_at)
         SELECT 'evt_new_' || g, false, 'holder.created', 'hol_new_' || g, '{}', now()
         FROM generate_series(1, 20) AS g`,
      );
      const file_node = async () =>
        (await db.pool.query<{ node: string }>(`SELECT pg_relation_filenode('events_initial')::text AS node`))
          .rows[0]?.node;
      const before = await file_node();
      await db.pool.query(sql);
      expect(await file_node()).toBe(before);
      const placed = await db.pool.query<{ partition: string; n: string; numbered: string }>(
        `SELECT tableoid::regclass::text AS partition, count(*)::text AS n, count(position)::text AS numbered
         FROM events GROUP BY 1 ORDER BY 1`,
      );
      expect(placed.rows).toEqual([
        { partition: 'events_initial', n: '300', numbered: '300' },
        { partition: 'events_unsequenced', n: '20', numbered: '0' },
      ]);
      // The sequencer numbers them after the last position, moving each into its month.
      expect(await sequenceEvents(db.pool, 1_000, now)).toBe(20);
      const after = await db.pool.query<{ partition: string; n: string; top: string }>(
        `SELECT tableoid::regclass::text AS partition, count(*)::text AS n, max(position)::text AS top
         FROM events GROUP BY 1 ORDER BY 1`,
      );
      expect(after.rows).toEqual([{ partition: 'events_initial', n: '320', top: '320' }]);
    } finally {
      await db.drop();
    }
  });
});
