import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../db/pool.js';
import { inTransaction } from '../db/pool.js';
import { verifyLedger } from '../ledger/verify.js';
import { writeEntries } from '../ledger/write.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { newWallet } from '../test-support/money.js';
import { ofAccount } from '../test-support/tamper.js';
import { balance_at_sql, walletPostings } from './history.js';

let t: TestApp;
let platform: string;
let wallet: string;
const start_ms = Date.parse('2026-01-01T00:00:00Z');
const rounds = 200;
const per_round = 10;
/** Round i is dated start + i minutes, except every 7th, dated 30 minutes earlier (late to lock). */
const dated = (round: number) => new Date(start_ms + (round - (round % 7 === 6 ? 30 : 0)) * 60_000);

beforeAll(async () => {
  t = await createTestApp();
  platform = await newWallet(t, 'USD', { overdraft_limit: '100000.00' });
  wallet = await newWallet(t, 'USD');
  await inTransaction(t.db.pool, async (client) => {
    for (let round = 0; round < rounds; round++) {
      const entries = Array.from({ length: per_round }, (_, index) => ({
        livemode: false,
        reason: 'transfer.posted',
        reference_id: `tr_${round}_${index}`,
        movements: [{ from: platform, to: wallet, amount_minor: 1n, layer: 'posted' as const }],
      }));
      await writeEntries(client, entries, dated(round));
    }
  });
}, 60_000);
afterAll(() => t.close());

/** The definition, by brute force: the last posting whose own and earlier dates are all <= at. */
async function expected(at: Date): Promise<string> {
  const result = await t.db.pool.query<{ posted: string }>(
    `SELECT coalesce((SELECT posted_after FROM postings WHERE ${ofAccount('$1')} AND account_seq = (
       SELECT coalesce(max(account_seq), 0) FROM (
         SELECT account_seq, bool_and(created_at <= $2) OVER (ORDER BY account_seq) AS all_before
         FROM postings WHERE ${ofAccount('$1')}) s WHERE all_before)), 0)::text AS posted`,
    [wallet, at],
  );
  return result.rows[0]?.posted ?? '';
}

async function available(at: Date): Promise<string> {
  const response = await t.request({
    method: 'GET',
    url: `/v1/wallets/${wallet}/balance?at=${encodeURIComponent(at.toISOString())}`,
  });
  expect(response.statusCode, response.body).toBe(200);
  return String(Math.round(Number(response.json().available) * 100));
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

describe('balance?at= on a wallet with many postings', () => {
  it('follows its definition where dates go back, as the running maximum says', async () => {
    for (const minute of [-1, 0, 5, 6, 7, 35, 36, 41, 42, 99.5, 150, 199, 250]) {
      const at = new Date(start_ms + minute * 60_000);
      expect(await available(at), `at minute ${minute}`).toBe(await expected(at));
    }
    // The running maximum is what the verify checks (posting_follows_previous).
    expect(await verifyLedger(t.db.pool)).toEqual([]);
  });

  it('is one statement, a binary search through the primary index: no walk, about log2(postings) probes', async () => {
    const explained = await t.db.pool.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${balance_at_sql}`,
      [wallet, new Date(start_ms + 100 * 60_000), false],
    );
    const nodes = nodesOf(explained.rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode);
    const on_postings = nodes.filter((node) => node['Relation Name'] === 'postings');
    expect(on_postings.length).toBeGreaterThan(0);
    // 2,000 postings: at most 11 probes of the search, plus the final read.
    for (const node of on_postings) {
      expect(node['Node Type']).toMatch(/^Index (Only )?Scan$/);
      expect(node['Actual Rows'] * node['Actual Loops']).toBeLessThanOrEqual(
        Math.ceil(Math.log2(rounds * per_round)) + 1,
      );
    }
  });
});

describe('a page of the history of a wallet with many postings', () => {
  it("reads the page's postings from the key in order, not the whole wallet's", async () => {
    // With the statistics a running server has (autovacuum analyzes), as the bench measured it.
    await t.db.pool.query('ANALYZE accounts, postings, ledger_transactions');
    // The statement walletPostings sends, explained in its place: the real SQL and parameters.
    const plans: PlanNode[] = [];
    const explaining: Queryable = {
      query: (async (sql: string, params: unknown[]) => {
        if (!sql.includes('wallet_postings')) return t.db.pool.query(sql, params);
        const explained = await t.db.pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
        plans.push(explained.rows[0]['QUERY PLAN'][0].Plan);
        return t.db.pool.query(sql, params);
      }) as Queryable['query'],
    };
    const page = await walletPostings(explaining, false, wallet, { limit: 10 });
    expect(page.ok && page.value.data.length).toBe(10);
    expect(plans).toHaveLength(1);
    const on_postings = nodesOf(plans[0] as PlanNode).filter((node) => node['Relation Name'] === 'postings');
    expect(on_postings.map((node) => node['Actual Rows'] * node['Actual Loops'])).toEqual([11]);
  });
});
