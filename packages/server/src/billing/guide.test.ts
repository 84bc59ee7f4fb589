import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { runGuide } from '../test-support/guide.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
// close() verifies the whole ledger.
afterAll(() => t.close());

describe('docs/guides/saas-billing.md', () => {
  it('runs as written: a trial, an upgrade mid-month and a failed renewal paid after a top-up', async () => {
    const run = await runGuide(t, 'docs/guides/saas-billing.md');
    // The guide polls its test clock until it is ready: how often depends on timing.
    const polls = run.exchanges.filter((e) => e.method === 'GET' && e.path === '/v1/test_clocks/:id');
    expect(polls.length).toBeGreaterThanOrEqual(4);
    expect(polls.every((e) => e.status === 200)).toBe(true);
    const get = (path: string, times: number) => Array<string>(times).fill(`GET ${path} 200`);
    expect(
      run.exchanges.filter((e) => !polls.includes(e)).map((e) => `${e.method} ${e.path} ${e.status}`),
    ).toEqual([
      'POST /v1/test_clocks 201',
      'POST /v1/products 201',
      'POST /v1/prices 201',
      'POST /v1/prices 201',
      'GET /v1/prices/:id 200',
      'POST /v1/holders 201',
      'POST /v1/wallets 201',
      'POST /v1/wallets 201',
      'POST /v1/payments 201',
      'GET /v1/wallets/:id 200',
      // 3. Subscribe with a trial.
      'POST /v1/subscriptions 201',
      ...get('/v1/subscriptions/:id', 2),
      'GET /v1/wallets/:id 200',
      // 4. The trial ends.
      'POST /v1/test_clocks/:id/advance 200',
      ...get('/v1/subscriptions/:id', 2),
      'GET /v1/invoices/:id 200',
      'GET /v1/subscriptions/:id 200',
      ...get('/v1/wallets/:id', 2),
      // 5. The upgrade.
      'POST /v1/test_clocks/:id/advance 200',
      'GET /v1/subscriptions/:id 200',
      'POST /v1/subscriptions/:id 200',
      ...get('/v1/invoices/:id', 3),
      'GET /v1/wallets/:id 200',
      // 6. The renewal fails.
      'POST /v1/test_clocks/:id/advance 200',
      'GET /v1/subscriptions/:id 200',
      'GET /v1/invoices/:id 200',
      'GET /v1/subscriptions/:id 200',
      'GET /v1/invoices/:id 200',
      'GET /v1/wallets/:id 200',
      // 7. The top-up.
      'POST /v1/payments 201',
      'POST /v1/test_clocks/:id/advance 200',
      ...get('/v1/invoices/:id', 2),
      'GET /v1/subscriptions/:id 200',
      ...get('/v1/wallets/:id', 2),
      // 8. The PDF, the invoices, the events.
      'GET /v1/invoices/:id/pdf 200',
      'GET /v1/invoices?subscription_id=:id 200',
      ...get('/v1/events?object_id=:id&limit=20', 2),
    ]);

    // What the guide's comments claim, from its own output.
    expect(run.stdout).toContain('"status":"trialing"');
    expect(run.stdout).toMatch(/"type":"proration","description":"Unused time[^}]*"amount":"-4\.52"/);
    expect(run.stdout).toMatch(/"type":"proration","description":"Remaining time[^}]*"amount":"11\.29"/);
    expect(run.stdout).toContain(
      '"attempt_count":1,"next_payment_attempt":"2027-02-18T00:00:00.000Z","last_failure_code":"insufficient_funds"',
    );
    expect(run.stdout).toContain('200 application/pdf\n%PDF-\n');
    expect(run.stdout).toContain(
      [
        '"number":"INV-TEST-000004" "status":"paid","billing_reason":"subscription_cycle" "total":"25.00"',
        '"number":"INV-TEST-000003" "status":"paid","billing_reason":"subscription_update" "total":"6.77"',
        '"number":"INV-TEST-000002" "status":"paid","billing_reason":"subscription_cycle" "total":"10.00"',
        '"number":"INV-TEST-000001" "status":"paid","billing_reason":"subscription_create" "total":"0.00"',
      ].join('\n'),
    );
    expect(run.stdout).toContain(
      [
        ...Array<string>(4).fill('"type":"customer.subscription.updated"'),
        '"type":"customer.subscription.created"',
        '"type":"invoice.paid"',
        '"type":"invoice.payment_failed"',
        '"type":"invoice.finalized"',
        '"type":"invoice.created"',
      ].join('\n'),
    );

    // Three charges, each one ledger entry from the customer's wallet to the revenue wallet, at
    // the clock's time; the trial's zero invoice moved nothing.
    const entries = await t.db.pool.query(
      `SELECT i.number, t.reason, t.created_at FROM invoices i JOIN ledger_transactions t ON t.reference_id = i.id
       ORDER BY i.number`,
    );
    expect(entries.rows).toEqual([
      { number: 'INV-TEST-000002', reason: 'invoice.paid', created_at: new Date('2027-01-15T00:00:00Z') },
      { number: 'INV-TEST-000003', reason: 'invoice.paid', created_at: new Date('2027-02-01T00:00:00Z') },
      { number: 'INV-TEST-000004', reason: 'invoice.paid', created_at: new Date('2027-02-16T00:00:01Z') },
    ]);
    const clock = await t.db.pool.query(
      "SELECT type, count(*)::int AS n FROM events WHERE type LIKE 'test_clock.%' GROUP BY type ORDER BY type",
    );
    expect(clock.rows).toEqual([
      { type: 'test_clock.advancing', n: 4 },
      { type: 'test_clock.ready', n: 4 },
    ]);
  });
});
