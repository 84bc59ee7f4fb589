import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { movement_retention_s, purgeOldMovements } from './movement-retention.js';
import { rule_window_s_max } from './schemas.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('movement_log retention', () => {
  it('keeps every movement a rule can still count, and deletes the older ones in bounded statements', async () => {
    expect(movement_retention_s).toBeGreaterThan(rule_window_s_max);
    const key = (await t.db.pool.query<{ id: string }>('SELECT id FROM api_keys ORDER BY id LIMIT 1')).rows[0]
      ?.id;
    const now = t.clock.now();
    const ages_s = [
      0,
      rule_window_s_max,
      movement_retention_s - 60,
      movement_retention_s + 60,
      3 * movement_retention_s,
    ];
    // 12,000 rows past retention: more than one statement's worth.
    await t.db.pool.query(
      `INSERT INTO movement_log (livemode, api_key_id, direction, source_wallet_id, holder_id, asset, amount_minor, created_at)
       SELECT false, $1, 'out', 'wal_retention', NULL, 'USD', 100, $2::timestamptz - make_interval(secs => age)
       FROM unnest($3::int[]) AS age
       UNION ALL
       SELECT false, $1, 'out', 'wal_retention', NULL, 'USD', 100, $2::timestamptz - make_interval(secs => $4 + g)
       FROM generate_series(1, 12000) AS g`,
      [key, now, ages_s, movement_retention_s],
    );
    expect(await purgeOldMovements(t.db.pool, now)).toBe(2 + 12_000);
    const left = await t.db.pool.query<{ age_s: string }>(
      `SELECT extract(epoch FROM $1::timestamptz - created_at)::bigint::text AS age_s FROM movement_log
       WHERE source_wallet_id = 'wal_retention' ORDER BY created_at DESC`,
      [now],
    );
    expect(left.rows.map((row) => Number(row.age_s))).toEqual(ages_s.slice(0, 3));
    expect(await purgeOldMovements(t.db.pool, now)).toBe(0);
  });
});
