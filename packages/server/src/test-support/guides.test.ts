import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyLedger } from '../ledger/verify.js';
import { createTestApp, type TestApp } from './app.js';
import { runGuide } from './guide.js';

/**
 * The money-movement guides run as written against a real server; their own `test` lines check the
 * balances they claim, and here every request must have been answered as the guide expects (no
 * 5xx, the 4xx only where the guide shows a refusal) and the ledger must verify afterwards.
 */
let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  expect(await verifyLedger(t.db.pool)).toEqual([]);
  await t.close();
});

const statuses = async (guide: string) =>
  (await runGuide(t, guide)).exchanges
    .filter((e) => e.status >= 400)
    .map((e) => `${e.method} ${e.path} ${e.status}`);

describe('guides', () => {
  it('docs/guides/marketplace.md', async () => {
    expect(await statuses('docs/guides/marketplace.md')).toEqual(['POST /v1/refunds 409']);
  });

  it('docs/guides/refunds.md', async () => {
    expect(await statuses('docs/guides/refunds.md')).toEqual([
      'POST /v1/refunds 409',
      'POST /v1/refunds 402',
    ]);
  });

  it('docs/guides/payouts.md', async () => {
    expect(await statuses('docs/guides/payouts.md')).toEqual([]);
  });

  it('docs/fx.md', async () => {
    expect(await statuses('docs/fx.md')).toEqual(['POST /v1/fx_quotes 400', 'POST /v1/conversions 409']);
  });
});
