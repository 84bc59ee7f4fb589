import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../db/pool.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { funded } from '../test-support/money.js';
import { ofAccount } from '../test-support/tamper.js';
import { recordEvents } from './outbox.js';
import { sequenceEvents, sequencing_statements } from './sequencer.js';
import { type EventRow, eventView, withData } from './view.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const batch_max = 1_000;

function holderEvent(name: string) {
  return {
    livemode: false,
    type: 'holder.created' as const,
    data: { id: `hol_${name}`, object: 'holder', name },
  };
}

async function positionsOf(ids: string[]): Promise<Map<string, { seq: bigint; position: bigint | null }>> {
  const rows = await t.db.pool.query<{ object_id: string; seq: string; position: string | null }>(
    'SELECT object_id, seq, position FROM events WHERE object_id = ANY($1::text[])',
    [ids],
  );
  return new Map(
    rows.rows.map((row) => [
      row.object_id,
      { seq: BigInt(row.seq), position: row.position === null ? null : BigInt(row.position) },
    ]),
  );
}

/** What a stream reader does: the events past a position, up to the largest visible position. */
async function readAfter(position: bigint): Promise<{ ids: string[]; horizon: bigint }> {
  const top = await t.db.pool.query<{ top: string }>('SELECT coalesce(max(position), 0) AS top FROM events');
  const horizon = BigInt(top.rows[0]?.top ?? '0');
  const rows = await t.db.pool.query<{ object_id: string }>(
    'SELECT object_id FROM events WHERE position > $1 AND position <= $2 ORDER BY position',
    [position.toString(), horizon.toString()],
  );
  return { ids: rows.rows.map((row) => row.object_id), horizon };
}

interface PlanNode {
  readonly 'Actual Rows': number;
  readonly 'Actual Loops': number;
  readonly 'Rows Removed by Filter'?: number;
  readonly 'Rows Removed by Join Filter'?: number;
  readonly Plans?: readonly PlanNode[];
}

/** Every row every node of an executed plan produced or threw away: the work it did. */
function rowsTouched(node: PlanNode): number {
  const own =
    (node['Actual Rows'] +
      (node['Rows Removed by Filter'] ?? 0) +
      (node['Rows Removed by Join Filter'] ?? 0)) *
    node['Actual Loops'];
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsTouched(child), 0);
}

async function explainAnalyze(db: Client, sql: string, params: unknown[]): Promise<PlanNode> {
  const result = await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
    params,
  );
  const plan = result.rows[0]?.['QUERY PLAN'][0].Plan;
  if (plan === undefined) throw new Error('no plan');
  return plan;
}

describe('the sequencer', () => {
  it('does work linear in its batch when statistics were taken with nothing left to sequence', async () => {
    const backlog = 20_000;
    const batch = 100;
    await sequenceEvents(t.db.pool, batch_max, t.clock.now());
    // The worst moment for statistics: the sequencer has just caught up, so the planner will
    // believe no row has position IS NULL, and then a backlog arrives.
    // Spread over a year of monthly partitions (migration 0036): the work must not grow with them.
    await t.db.pool.query(
      'SELECT events_add_partition(now() + make_interval(months => m)) FROM generate_series(1, 12) AS m',
    );
    await t.db.pool.query('ANALYZE events');
    await t.db.pool.query(
      `INSERT INTO events (id, livemode, type, object_id, data, created_at)
       SELECT 'evt_backlog_' || lpad(g::text, 6, '0'), false, 'holder.created', 'hol_backlog_' || g, '{}',
         now() + make_interval(months => g % 12)
       FROM generate_series(1, $1::int) AS g`,
      [backlog],
    );
    const estimate = await t.db.pool.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
      'EXPLAIN (FORMAT JSON) SELECT id FROM events WHERE position IS NULL',
    );
    // The planner counts at least one row per partition; either way a tiny fraction of the backlog.
    expect(estimate.rows[0]?.['QUERY PLAN'][0].Plan['Plan Rows']).toBeLessThan(100);
    const db = await t.db.pool.connect();
    try {
      await db.query('BEGIN');
      await db.query(sequencing_statements.settings);
      const pick = await explainAnalyze(db, sequencing_statements.pick, [batch]);
      const picked = (await db.query<{ seq: string }>(sequencing_statements.pick, [batch])).rows;
      expect(picked).toHaveLength(batch);
      const number = await explainAnalyze(db, sequencing_statements.number, [picked.map((row) => row.seq)]);
      // A few rows per event per node; the plan that stalled touched about backlog x batch.
      expect(rowsTouched(pick)).toBeLessThanOrEqual(4 * batch);
      expect(rowsTouched(number)).toBeLessThanOrEqual(10 * batch);
    } finally {
      await db.query('ROLLBACK');
      db.release();
    }
    expect(await sequenceEvents(t.db.pool, batch_max, t.clock.now())).toBe(backlog);
    const check = await t.db.pool.query<{ unsequenced: string }>(
      'SELECT count(*) AS unsequenced FROM events WHERE position IS NULL',
    );
    expect(check.rows[0]?.unsequenced).toBe('0');
  }, 60_000);

  it('orders by commit, so a reader never skips an event whose transaction commits late', async () => {
    await sequenceEvents(t.db.pool, batch_max, t.clock.now());
    const start = (await readAfter(0n)).horizon;
    const early = await t.db.pool.connect();
    const late = await t.db.pool.connect();
    try {
      await early.query('BEGIN');
      await recordEvents(early, [holderEvent('early_writer')], t.clock.now());
      await late.query('BEGIN');
      await recordEvents(late, [holderEvent('late_writer')], t.clock.now());
      await late.query('COMMIT');
      // The event written second committed first: it is sequenced and read; the first is invisible.
      await sequenceEvents(t.db.pool, batch_max, t.clock.now());
      const first_read = await readAfter(start);
      expect(first_read.ids).toEqual(['hol_late_writer']);
      await early.query('COMMIT');
      await sequenceEvents(t.db.pool, batch_max, t.clock.now());
      // Resuming from where the reader stopped finds the event that was written first.
      expect((await readAfter(first_read.horizon)).ids).toEqual(['hol_early_writer']);
      const order = await positionsOf(['hol_early_writer', 'hol_late_writer']);
      const [early_row, late_row] = [order.get('hol_early_writer'), order.get('hol_late_writer')];
      expect(early_row?.seq).toBeLessThan(late_row?.seq ?? 0n);
      expect(early_row?.position).toBeGreaterThan(late_row?.position ?? 0n);
    } finally {
      early.release();
      late.release();
    }
  });

  it('numbers events 1, 2, 3... with no gap or repeat while several sequencers and writers race', async () => {
    const writers = Array.from({ length: 20 }, async (_, writer) => {
      for (let i = 0; i < 10; i += 1) {
        await recordEvents(
          t.db.pool,
          [holderEvent(`race_${writer}_${i}`), holderEvent(`race_${writer}_${i}_b`)],
          t.clock.now(),
        );
      }
    });
    const sequencers = Array.from({ length: 4 }, async () => {
      for (let round = 0; round < 20; round += 1) await sequenceEvents(t.db.pool, 7, t.clock.now());
    });
    await Promise.all([...writers, ...sequencers]);
    await sequenceEvents(t.db.pool, batch_max, t.clock.now());
    const check = await t.db.pool.query<{ n: string; unsequenced: string; top: string; distinct: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE position IS NULL) AS unsequenced, max(position) AS top,
         count(DISTINCT position) AS distinct FROM events`,
    );
    const row = check.rows[0];
    expect(row?.unsequenced).toBe('0');
    expect(row?.top).toBe(row?.n);
    expect(row?.distinct).toBe(row?.n);
  });

  it('1,000 transfers give 1,000 events, in the order each wallet saw them', async () => {
    const wallets = await Promise.all(Array.from({ length: 8 }, () => funded(t, '1000.00')));
    let seed = 42;
    const pick = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      // The high bits: a power-of-two LCG's low bits repeat with a short period.
      return wallets[Math.floor(seed / 65_536) % wallets.length] ?? '';
    };
    const pairs = Array.from({ length: 1_000 }, () => {
      const source = pick();
      let destination = pick();
      while (destination === source) destination = pick();
      return { source, destination };
    });
    let next = 0;
    const created: string[] = [];
    // 50 requests at once: the group-commit engine writes them in shared transactions.
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < pairs.length) {
          const pair = pairs[next++];
          const response = await t.request({
            method: 'POST',
            url: '/v1/transfers',
            payload: {
              source_wallet_id: pair?.source,
              destination_wallet_id: pair?.destination,
              amount: '0.01',
              currency: 'USD',
            },
          });
          expect(response.statusCode, response.body).toBe(201);
          created.push(response.json().id);
        }
      }),
    );
    await sequenceEvents(t.db.pool, batch_max, t.clock.now());
    const stored = await t.db.pool.query<EventRow>(
      `SELECT * FROM events WHERE type = 'transfer.posted' AND object_id = ANY($1::text[]) ORDER BY position`,
      [created],
    );
    // Each refers to its transfer: withData renders its view, as every reader of events does.
    const events = {
      rows: (await withData(t.db.pool, stored.rows)).map((row) => {
        const data = eventView(row).data.object as unknown as {
          source_wallet_id: string;
          destinations: { wallet_id: string }[];
        };
        return {
          object_id: row.object_id,
          source: data.source_wallet_id,
          destination: data.destinations[0]?.wallet_id,
        };
      }),
    };
    expect(events.rows).toHaveLength(1_000);
    expect(new Set(events.rows.map((row) => row.object_id)).size).toBe(1_000);
    for (const wallet of wallets) {
      const ledger_order = await t.db.pool.query<{ reference_id: string }>(
        `SELECT t.reference_id FROM postings p JOIN journal_entries t ON t.id = p.transaction_id
         WHERE ${ofAccount('$1', 'p.')} AND t.reason = 'transfer.posted' ORDER BY p.account_seq`,
        [wallet],
      );
      const event_order = events.rows
        .filter((row) => row.source === wallet || row.destination === wallet)
        .map((row) => row.object_id);
      expect(event_order.length).toBeGreaterThan(100);
      expect(event_order).toEqual(
        ledger_order.rows.map((row) => row.reference_id).filter((id) => created.includes(id)),
      );
    }
  }, 60_000);
});
