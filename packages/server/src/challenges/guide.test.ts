import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { runGuide } from '../test-support/guide.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('docs/guides/onboarding.md', () => {
  it('runs as written against a real server: capped, verified, topped up, and a code confirms the payment', async () => {
    const run = await runGuide(t, 'docs/guides/onboarding.md');
    expect(run.exchanges.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'POST /v1/risk_rules 201',
      'POST /v1/risk_rules 201',
      'POST /v1/risk_rules 201',
      'POST /v1/holders 201',
      'POST /v1/wallets 201',
      'POST /v1/payments 403',
      'POST /v1/files 201',
      'POST /v1/holders/:id/verification_sessions 201',
      'GET /v1/holders/:id 200',
      'POST /v1/payments 201',
      'POST /v1/payments 201',
      'GET /v1/wallets/:id 200',
      'POST /v1/wallets 201',
      'POST /v1/transfers 202',
      'GET /v1/challenges/:id 200',
      'POST /v1/test_helpers/challenges/:id/reveal_code 200',
      'POST /v1/challenges/:id/confirm 400',
      'POST /v1/challenges/:id/confirm 200',
      'GET /v1/wallets/:id 200',
    ]);
    expect(run.stdout).toContain('"kyc_status":"verified","kyc_tier":2');
    expect(run.stdout).toContain('"verified_tier":2');
    expect(run.stdout).toContain('"code":"challenge_code_invalid"');
    expect(run.stdout).toMatch(/"status":"succeeded".*"result":\{"status":201,"body":\{"id":"tr_/);
    expect(run.stdout).toContain('"available":"200.00"');
  });
});
