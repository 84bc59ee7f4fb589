/**
 * The `overview` scenario (issue 18, "Speed"): GET /v1/reports/overview over a database holding
 * `transfers` transfers, loaded through the batch endpoint of a running `purse serve` whose worker
 * sequences and folds them as they come. Measures the load, how long the worker took to catch up
 * after it, and then the overview's latency (and search's, beside it), request after request.
 * See bench/README.md.
 */

import pg from 'pg';
import { assert } from '../packages/server/src/shared/assert.js';
import { type Api, createFundedWallets, postBatch } from './setup.js';

export interface LatencyMs {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Answers other than 2xx (timed all the same). */
  readonly errors: number;
}

export interface OverviewBenchResult {
  readonly transfers_loaded: number;
  readonly load_s: number;
  /** Events not yet folded (unsequenced, or past the fold's cursor) when the load ended. */
  readonly tail_at_load_end: number;
  /** One overview read at that moment, counting that tail live. */
  readonly tail_read_ms: number;
  readonly catch_up_s: number;
  readonly requests: number;
  readonly reads: readonly { readonly name: string; readonly latency: LatencyMs }[];
  /** Posted transfers stored, and what the overview of 366 days counts: equal when correct. */
  readonly stored_transfers: number;
  readonly reported_transfers: number;
}

const transfers_per_request = 100;
const requests_in_flight = 8;
const wallets_count = 1_000;
const catch_up_wait_s_max = 1_800;

export async function overviewBench(
  api: Api,
  database_url: string,
  options: { transfers: number; requests: number; progress: (line: string) => void },
): Promise<OverviewBenchResult> {
  assert(options.transfers % transfers_per_request === 0, 'transfers must be a multiple of 100');
  const db = new pg.Client({ connectionString: database_url });
  await db.connect();
  try {
    const { wallets } = await createFundedWallets(api, wallets_count, '100000.00');
    const load_started = performance.now();
    await loadTransfers(api, wallets, options.transfers, options.progress);
    const load_s = (performance.now() - load_started) / 1000;
    const tail_at_load_end = await unfolded(db);
    const tail_read = await timedGets(api, '/v1/reports/overview?days=30', 1);
    const caught_up = performance.now();
    await waitForFold(db);
    const catch_up_s = (performance.now() - caught_up) / 1000;
    const some_transfer = await db.query<{ id: string }>('SELECT id FROM transfers ORDER BY id DESC LIMIT 1');
    const reads = [
      { name: 'GET /v1/reports/overview?days=30', url: '/v1/reports/overview?days=30' },
      { name: 'GET /v1/reports/overview?days=366', url: '/v1/reports/overview?days=366' },
      { name: 'GET /v1/search?q=<a transfer id>', url: `/v1/search?q=${some_transfer.rows[0]?.id ?? ''}` },
      { name: 'GET /v1/search?q=0.01 (matches every transfer)', url: '/v1/search?q=0.01' },
    ];
    const measured = [];
    for (const read of reads)
      measured.push({ name: read.name, latency: await timedGets(api, read.url, options.requests) });
    return {
      transfers_loaded: options.transfers,
      load_s,
      tail_at_load_end,
      tail_read_ms: tail_read.max,
      catch_up_s,
      requests: options.requests,
      reads: measured,
      ...(await countsCompared(api, db)),
    };
  } finally {
    await db.end();
  }
}

async function loadTransfers(
  api: Api,
  wallets: readonly string[],
  transfers: number,
  progress: (line: string) => void,
): Promise<void> {
  const requests = transfers / transfers_per_request;
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < requests) {
      next += 1;
      await postRandomBatch(api, wallets);
      done += 1;
      if (done % Math.max(1, Math.floor(requests / 20)) === 0)
        progress(`overview: ${(done * transfers_per_request).toLocaleString('en-US')} transfers loaded\n`);
    }
  };
  await Promise.all(Array.from({ length: requests_in_flight }, lane));
}

async function postRandomBatch(api: Api, wallets: readonly string[]): Promise<void> {
  const pick = () => wallets[Math.floor(Math.random() * wallets.length)] ?? '';
  const transfers = Array.from({ length: transfers_per_request }, () => {
    const source = pick();
    let destination = pick();
    while (destination === source) destination = pick();
    return { source_wallet_id: source, destination_wallet_id: destination, amount: '0.01', currency: 'USD' };
  });
  await postBatch(api, transfers);
}

async function unfolded(db: pg.Client): Promise<number> {
  const rows = await db.query<{ count: string }>(
    `SELECT ((SELECT count(*) FROM events WHERE position IS NULL)
      + (SELECT count(*) FROM events WHERE position > (SELECT position FROM rollup_cursors WHERE name = 'overview')))::text AS count`,
  );
  return Number(rows.rows[0]?.count ?? 0);
}

async function waitForFold(db: pg.Client): Promise<void> {
  const deadline = performance.now() + catch_up_wait_s_max * 1000;
  while ((await unfolded(db)) > 0) {
    if (performance.now() > deadline) throw new Error('the worker did not fold every event in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * `count` GETs one after the other, timed from the client: p50, p99 and max in ms. `url` is called
 * for each request when it is a function (a random instant each time, say).
 */
export async function timedGets(api: Api, url: string | (() => string), count: number): Promise<LatencyMs> {
  const [latency] = await timedGetsInTurn(api, [url], count);
  assert(latency !== undefined, 'one latency per url');
  return latency;
}

/**
 * Times each of `urls` `count` times, one request of each in turn, so that every read sees the
 * same moments of the machine: one of them can be the reference of another.
 */
export async function timedGetsInTurn(
  api: Api,
  urls: readonly (string | (() => string))[],
  count: number,
): Promise<LatencyMs[]> {
  const timings = urls.map(() => ({ spent_ms: [] as number[], errors: 0 }));
  for (const url of urls) await warmUp(api, url);
  for (let i = 0; i < count; i += 1) {
    for (const [index, url] of urls.entries()) {
      const timing = timings[index];
      assert(timing !== undefined, 'a timing per url');
      const started = performance.now();
      const response = await get(api, url);
      await response.arrayBuffer();
      timing.spent_ms.push(performance.now() - started);
      if (!response.ok) timing.errors += 1;
    }
  }
  return timings.map(({ spent_ms, errors }) => {
    spent_ms.sort((a, b) => a - b);
    const at = (q: number) =>
      spent_ms[Math.min(spent_ms.length - 1, Math.ceil(q * spent_ms.length) - 1)] ?? 0;
    return { p50: at(0.5), p99: at(0.99), max: spent_ms.at(-1) ?? 0, errors };
  });
}

/**
 * One untimed request, tried a second time if the connection fails: a kept-alive connection can
 * be closed while the bench is busy elsewhere (a verify at a large step takes minutes), and fetch
 * then drops it. A server that is gone fails both times.
 */
async function warmUp(api: Api, url: string | (() => string)): Promise<void> {
  const once = () => get(api, url).then((response) => response.arrayBuffer());
  await once().catch(once);
}

function get(api: Api, url: string | (() => string)): Promise<Response> {
  return fetch(`${api.base_url}${typeof url === 'string' ? url : url()}`, {
    headers: { authorization: `Bearer ${api.api_key}` },
  });
}

async function countsCompared(
  api: Api,
  db: pg.Client,
): Promise<{ stored_transfers: number; reported_transfers: number }> {
  const stored = await db.query<{ count: string }>(
    "SELECT count(*)::text AS count FROM transfers WHERE livemode = false AND status = 'posted'",
  );
  const response = await fetch(`${api.base_url}/v1/reports/overview?days=366`, {
    headers: { authorization: `Bearer ${api.api_key}` },
  });
  const body = (await response.json()) as { volume: { count: number }[] };
  return {
    stored_transfers: Number(stored.rows[0]?.count ?? 0),
    reported_transfers: body.volume.reduce((sum, day) => sum + day.count, 0),
  };
}
