import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './app.js';
import { runGuide } from './guide.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('README.md', () => {
  it('runs its quickstart as written against a real server', async () => {
    const run = await runGuide(t, 'README.md');
    const refused = run.exchanges
      .filter((e) => e.status >= 400)
      .map((e) => `${e.method} ${e.path} ${e.status}`);
    // The one refusal the quickstart shows on purpose: a transfer beyond the balance.
    expect(refused).toEqual(['POST /v1/transfers 402']);
    expect(run.stdout).toMatch(/idempotent-replayed: true/i);
    expect(run.stdout).toContain('"available":"45.00","held":"20.00"');
    expect(run.stdout).toContain('"code":"insufficient_funds"');
    // The SDK example: Alice's postings, newest first, with the balance after each.
    expect(run.stdout).toContain('debit 25.00 75.00\ncredit 100.00 100.00\n');
  });
});
