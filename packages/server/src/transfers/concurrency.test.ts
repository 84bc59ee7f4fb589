import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { freePort } from '../shared/ports.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, newWallet } from '../test-support/money.js';
import { type PurseProcess, runPurse, waitForReady } from '../test-support/process.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** 50 transfers of 10.00 at once, spread over the given servers; returns the status codes. */
async function race(bases: string[], source: string, destination: string): Promise<number[]> {
  return Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      fetch(`${bases[i % bases.length]}/v1/transfers`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${t.test_key}`,
          'content-type': 'application/json',
          'idempotency-key': `race-${source}-${i}`,
        },
        body: JSON.stringify({
          source_wallet_id: source,
          destination_wallet_id: destination,
          amount: '10.00',
          currency: 'USD',
        }),
      }).then(async (response) => {
        const body = (await response.json()) as { code?: string };
        if (response.status !== 201) expect(body.code).toBe('insufficient_funds');
        return response.status;
      }),
    ),
  );
}

async function expectExactlyTen(statuses: number[], source: string, destination: string): Promise<void> {
  expect(statuses.filter((status) => status === 201)).toHaveLength(10);
  expect(statuses.filter((status) => status === 402)).toHaveLength(40);
  expect(await balanceOf(t, source)).toMatchObject({ available: '0.00', total: '0.00' });
  expect(await balanceOf(t, destination)).toMatchObject({ available: '100.00' });
}

describe('no double spend under parallel requests', () => {
  it('one server over a real socket: exactly 10 of 50 transfers of 10.00 from 100.00 succeed', async () => {
    const app: FastifyInstance = await buildApp({ pool: t.db.pool, config: t.config });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const [source, destination] = [await newWallet(t), await newWallet(t)];
      await fund(t, source, '100.00');
      await expectExactlyTen(await race([address], source, destination), source, destination);
    } finally {
      await app.close();
    }
  });

  it('two server processes on one database: still exactly 10', async () => {
    const servers: PurseProcess[] = [];
    const bases: string[] = [];
    try {
      for (let i = 0; i < 2; i += 1) {
        const port = await freePort();
        servers.push(
          runPurse(['serve'], {
            DATABASE_URL: t.db.url,
            PORT: String(port),
            HOST: '127.0.0.1',
            LOG_LEVEL: 'warn',
          }),
        );
        bases.push(`http://127.0.0.1:${port}`);
      }
      await Promise.all(bases.map((base) => waitForReady(base)));
      const [source, destination] = [await newWallet(t), await newWallet(t)];
      await fund(t, source, '100.00');
      await expectExactlyTen(await race(bases, source, destination), source, destination);
    } finally {
      for (const server of servers) server.child.kill('SIGTERM');
      await Promise.all(servers.map((server) => server.exited));
    }
  }, 120_000);
});
