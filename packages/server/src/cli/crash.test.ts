import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { balanceOf, fund, newWallet } from '../test-support/money.js';
import { runPurse, waitForReady } from '../test-support/process.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const transfers_total = 200;
const concurrency = 8;

/** Sends transfer i with its own Idempotency-Key; resolves with its id once acknowledged, or undefined. */
function send(
  base: string,
  key: string,
  source: string,
  destination: string,
  i: number,
): Promise<string | undefined> {
  return fetch(`${base}/v1/transfers`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'idempotency-key': `crash-${i}`,
    },
    body: JSON.stringify({
      source_wallet_id: source,
      destination_wallet_id: destination,
      amount: '1.00',
      currency: 'USD',
      metadata: { i: String(i) },
    }),
  }).then(
    async (response) =>
      response.status === 201 ? ((await response.json()) as { id: string }).id : undefined,
    () => undefined,
  );
}

async function stream(
  base: string,
  source: string,
  destination: string,
  stop: () => boolean,
): Promise<Map<number, string>> {
  const acknowledged = new Map<number, string>();
  let next = 0;
  const lane = async () => {
    while (next < transfers_total && !stop()) {
      const i = next++;
      const id = await send(base, t.test_key, source, destination, i);
      if (id !== undefined) acknowledged.set(i, id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return acknowledged;
}

describe('crash safety', () => {
  it('after kill -9 mid-stream, every acknowledged transfer exists once and retries create no duplicates', async () => {
    const [source, destination] = [await newWallet(t), await newWallet(t)];
    await fund(t, source, '1000.00');
    const env = { DATABASE_URL: t.db.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    const port = String(await freePort());
    const base = `http://127.0.0.1:${port}`;
    const first = runPurse(['serve'], { ...env, PORT: port });
    await waitForReady(base);
    let killed = false;
    const streaming = stream(base, source, destination, () => killed);
    const stored = async () =>
      Number((await t.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM transfers')).rows[0]?.n);
    while ((await stored()) < 60) await new Promise((resolve) => setTimeout(resolve, 5));
    first.child.kill('SIGKILL');
    killed = true;
    const acknowledged = await streaming;
    await first.exited;
    expect(acknowledged.size).toBeGreaterThan(0);
    expect(acknowledged.size).toBeLessThan(transfers_total);

    const second = runPurse(['serve'], { ...env, PORT: port });
    await waitForReady(base);
    const retried = await stream(base, source, destination, () => false);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    expect(retried.size).toBe(transfers_total);
    for (const [i, id] of acknowledged) expect(retried.get(i), `transfer ${i}`).toBe(id);
    const rows = await t.db.pool.query<{ n: string; distinct_i: string }>(
      "SELECT count(*) AS n, count(DISTINCT metadata->>'i') AS distinct_i FROM transfers WHERE source_wallet_id = $1",
      [source],
    );
    expect(rows.rows[0]).toEqual({ n: String(transfers_total), distinct_i: String(transfers_total) });
    expect(await balanceOf(t, destination)).toMatchObject({ available: '200.00' });

    const verify = runPurse(['verify'], env);
    expect(await verify.exited, verify.output()).toBe(0);
    expect(verify.output()).toContain('every invariant holds');
  }, 120_000);
});
