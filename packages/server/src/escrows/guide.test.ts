import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { expectEscrowBooksBalance } from '../test-support/escrows.js';
import { runGuide } from '../test-support/guide.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('docs/guides/escrow.md', () => {
  it('runs as written against a real server, and every step does what the guide says', async () => {
    const run = await runGuide(t, 'docs/guides/escrow.md');
    expect(run.exchanges.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'POST /v1/wallets 201',
      'POST /v1/wallets 201',
      'POST /v1/payments 201',
      'POST /v1/escrows 201',
      'GET /v1/escrows/:id 200',
      'GET /v1/wallets/:id 200',
      'POST /v1/escrows/:id/release 200',
      'POST /v1/escrows/:id/release 200',
      'POST /v1/escrows/:id/release 409',
      'GET /v1/wallets/:id 200',
      'POST /v1/escrows/:id/dispute 200',
      'POST /v1/escrows/:id/release 409',
      'POST /v1/escrows/:id/resolve 200',
      'GET /v1/wallets/:id 200',
      'POST /v1/escrows 201',
      'POST /v1/escrows/:id/release 200',
      'POST /v1/escrows/:id/cancel 200',
      'GET /v1/escrows?payer_wallet_id=:id&status=released 200',
      'GET /v1/reports/trial_balance 200',
    ]);
    expect(run.stdout).toContain('"code":"milestone_not_pending"');
    expect(run.stdout).toContain('"code":"escrow_disputed"');
    expect(run.stdout).toContain('"status":"canceled","payer_wallet_id"');
    const escrows = await t.db.pool.query(
      'SELECT status, released_amount, refunded_amount, dispute_outcome FROM escrows ORDER BY created_at, id',
    );
    expect(escrows.rows).toEqual([
      { status: 'released', released_amount: '300000', refunded_amount: '0', dispute_outcome: 'release' },
      { status: 'canceled', released_amount: '4000', refunded_amount: '6000', dispute_outcome: null },
    ]);
    const wallets = await t.db.pool.query(
      "SELECT posted_credits - posted_debits AS posted FROM accounts WHERE kind = 'wallet' ORDER BY id",
    );
    // The client: 3000.00 paid in, all of it into escrow, then 40.00 released to it by the second
    // escrow. The freelancer: 3000.00 released, 100.00 into the second escrow, 60.00 refunded.
    expect(wallets.rows.map((row) => row.posted)).toEqual(['4000', '296000']);
    await expectEscrowBooksBalance(t);
  });
});
