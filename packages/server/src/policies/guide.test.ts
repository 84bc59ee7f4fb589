import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/verify.js';
import { verifyLedger } from '../ledger/verify.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { runGuide } from '../test-support/guide.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('docs/guides/agent-budget.md', () => {
  it('runs as written: the agent spends 50.00 on its two vendors and not a cent more', async () => {
    const run = await runGuide(t, 'docs/guides/agent-budget.md');
    expect(run.exchanges.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'POST /v1/wallets 201',
      'POST /v1/wallets 201',
      'POST /v1/wallets 201',
      'POST /v1/wallets 201',
      'POST /v1/payments 201',
      'POST /v1/api_keys 201',
      'POST /v1/transfers 201',
      'POST /v1/transfers 403',
      'POST /v1/transfers 403',
      'POST /v1/transfers 202',
      'GET /v1/approvals/:id 200',
      'POST /v1/approvals/:id/approve 200',
      'POST /v1/approvals/:id/approve 409',
      'POST /v1/transfers 403',
      'POST /v1/transfers 201',
      'GET /v1/wallets/:id 404',
      'POST /v1/api_keys 403',
      'GET /v1/wallets/:id 200',
      'GET /v1/audit_logs?actor=:id&limit=20 200',
    ]);
    for (const code of ['allowed_destinations', 'per_movement_max', 'daily_max', 'approval_not_pending'])
      expect(run.stdout).toContain(code);
    const vendors = await t.db.pool.query(
      `SELECT metadata->>'vendor' AS vendor, (posted_credits - posted_debits)::text AS posted FROM accounts
       WHERE metadata ? 'vendor' ORDER BY vendor`,
    );
    expect(vendors.rows).toEqual([
      { vendor: 'api-credits', posted: '2500' },
      { vendor: 'datasets', posted: '2500' },
    ]);
    const agent = await t.db.pool.query("SELECT id FROM api_keys WHERE name = 'Purchasing agent'");
    const audited = await t.db.pool.query(
      'SELECT outcome_status FROM audit_logs WHERE actor = $1 ORDER BY id',
      [agent.rows[0].id],
    );
    expect(audited.rows.map((row) => row.outcome_status)).toEqual([201, 403, 403, 202, 201, 403, 201, 403]);
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    expect(await verifyAuditChain(t.db.pool)).toEqual([]);
  });
});
