import { parseEther } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../ledger/verify.js';
import { type ChainTestApp, createChainTestApp } from '../test-support/evm/chain-app.js';
import { runGuide } from '../test-support/guide.js';
import { startWorker } from '../worker/scheduler.js';
import { chainTasks } from './tasks.js';

let c: ChainTestApp;
beforeAll(async () => {
  c = await createChainTestApp({ low_balance_minor: { ETH: parseEther('1') } });
});
afterAll(() => c.close());

describe('docs/crypto.md', () => {
  it('runs against a devnet with the chain tasks running, as a worker would', async () => {
    const log = { info: () => undefined, error: () => undefined };
    const worker = startWorker({ pool: c.t.db.pool, clock: c.t.clock, log }, chainTasks(c.t.config));
    try {
      const run = await runGuide(c.t, 'docs/crypto.md', { EVM_RPC: c.devnet.rpc_url });
      expect(
        run.exchanges.filter((e) => e.status >= 400).map((e) => `${e.method} ${e.path} ${e.status}`),
      ).toEqual(['POST /v1/payouts 400']);
    } finally {
      await worker.stop();
    }
    expect(await verifyLedger(c.t.db.pool)).toEqual([]);
  });
});
