import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../db/pool.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { recordEvents } from './outbox.js';
import { sequenceEvents } from './sequencer.js';
import { verifyEvents } from './verify-events.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

function holderEvents(prefix: string, count: number) {
  return Array.from({ length: count }, (_, index) => ({
    livemode: false,
    type: 'holder.created' as const,
    data: { id: `hol_${prefix}_${index}`, object: 'holder', name: `${prefix} ${index}` },
  }));
}

async function recordAndSequence(prefix: string, count: number): Promise<void> {
  await recordEvents(t.db.pool, holderEvents(prefix, count), t.clock.now());
  await sequenceEvents(t.db.pool, 1_000, t.clock.now());
}

/** A pool that runs each statement under EXPLAIN (ANALYZE, BUFFERS) first and adds up the pages read. */
function countingPages(): { db: Queryable; pages: () => number } {
  let pages = 0;
  const db: Queryable = {
    query: (async (sql: string, params?: unknown[]) => {
      const explained = await t.db.pool.query<{ 'QUERY PLAN': [{ Plan: Record<string, number> }] }>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`,
        params,
      );
      const plan = explained.rows[0]?.['QUERY PLAN'][0].Plan ?? {};
      pages += (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
      return t.db.pool.query(sql, params);
    }) as Queryable['query'],
  };
  return { db, pages: () => pages };
}

describe('verifyEvents after a checkpoint', () => {
  it('reads pages in proportion to the new events when statistics were taken before they came', async () => {
    await recordAndSequence('before', 200);
    const since = await t.db.pool.query<{ top: string }>('SELECT max(position)::text AS top FROM events');
    // The planner now believes no event has an id above these: the worst moment to have taken them.
    await t.db.pool.query('ANALYZE events');
    const fresh = 4_000;
    // Sequencing moves each event out of events_unsequenced, leaving its index entry behind.
    await recordAndSequence('after', fresh);
    const counting = countingPages();
    const verified = await verifyEvents(counting.db, since.rows[0]?.top);
    expect(verified.violations).toEqual([]);
    // A few pages of each index and heap a new event is on. Joining the partitions instead, the
    // planner scanned the unsequenced partition's dead entries over the whole range once per new
    // event: about 40 times as many.
    expect(counting.pages()).toBeLessThan(fresh / 2);
  });

  it('does not walk the unsequenced partition when no event waits there', async () => {
    await recordAndSequence('drained', 300);
    const since = await t.db.pool.query<{ top: string }>('SELECT max(position)::text AS top FROM events');
    await recordAndSequence('drained_after', 300);
    const statements: string[] = [];
    const db: Queryable = {
      query: ((sql: string, params?: unknown[]) => {
        statements.push(sql);
        return t.db.pool.query(sql, params);
      }) as Queryable['query'],
    };
    expect((await verifyEvents(db, since.rows[0]?.top)).violations).toEqual([]);
    expect(statements.filter((sql) => sql.includes('FROM events_unsequenced'))).toEqual([]);
    // With an event waiting, its id is compared with the months' (retention.test.ts finds a repeat).
    await recordEvents(t.db.pool, holderEvents('waiting', 1), t.clock.now());
    statements.length = 0;
    expect((await verifyEvents(db, since.rows[0]?.top)).violations).toEqual([]);
    expect(statements.filter((sql) => sql.includes('FROM events_unsequenced'))).toHaveLength(1);
  });
});
