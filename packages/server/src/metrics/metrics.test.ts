import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { createPool } from '../db/pool.js';
import { sequenceEvents } from '../events/sequencer.js';
import { enqueueJobs } from '../jobs/queue.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { advanceAndRunJobs } from '../test-support/jobs.js';
import { sample, scrape } from '../test-support/metrics.js';
import { funded, newWallet, postOk, transfer } from '../test-support/money.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';
import { DeliveryRunner } from '../webhooks/delivery-runner.js';

/** Past the 5 s for which one read of the database's figures serves every scrape. */
const facts_ttl_ms = 5_001;

let t: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  t = await createTestApp({}, {}, {}, { retry_schedule_s: [60], timeout_ms: 1_000, response_bytes_max: 64 });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

const sequence = () => sequenceEvents(t.db.pool, 1_000, t.clock.now());
const usd_test = { mode: 'test', currency: 'USD' };

describe('business metrics, counted from committed events', () => {
  it('counts transfers, payments and payouts by status and currency, and rail failures by code', async () => {
    const wallet = await funded(t, '100.00');
    const other = await newWallet(t);
    for (const amount of ['1.00', '2.00', '3.00'])
      expect(
        (await transfer(t, { source_wallet_id: wallet, destination_wallet_id: other, amount })).statusCode,
      ).toBe(201);
    const bank = { type: 'bank_account', account_holder_name: 'Ada', routing_number: '110000000' };
    await postOk(t, '/v1/payouts', {
      wallet_id: wallet,
      amount: '5.00',
      currency: 'USD',
      destination: { ...bank, account_number: '000111111113' },
    });
    await advanceAndRunJobs(t, t.config.rails.sandbox_step_ms);
    await sequence();
    t.clock.advance(facts_ttl_ms);
    const body = await scrape(t);
    expect(sample(body, 'purse_transfers_total', { ...usd_test, status: 'posted' })).toBe(3);
    expect(sample(body, 'purse_payments_total', { ...usd_test, status: 'succeeded' })).toBe(1);
    expect(sample(body, 'purse_payouts_total', { ...usd_test, status: 'failed', rail: 'bank_account' })).toBe(
      1,
    );
    expect(
      sample(body, 'purse_rail_failures_total', {
        mode: 'test',
        object: 'payout',
        status: 'failed',
        code: 'account_closed',
      }),
    ).toBe(1);
    expect(sample(body, 'purse_events_total', { mode: 'test', type: 'transfer.posted' })).toBe(3);
    expect(sample(body, 'purse_transfers_total', { mode: 'live' })).toBe(0);
    expect(sample(body, 'purse_cluster_metrics_up')).toBe(1);
  });

  it('counts each event once, however often the sequencer runs, and every process reads the same totals', async () => {
    await sequence();
    await sequence();
    t.clock.advance(facts_ttl_ms);
    const first = sample(await scrape(t), 'purse_transfers_total', { ...usd_test, status: 'posted' });
    const second_app = await buildApp({ pool: t.db.pool, config: t.config, clock: t.clock });
    try {
      const response = await second_app.inject({ method: 'GET', url: '/metrics' });
      expect(sample(response.body, 'purse_transfers_total', { ...usd_test, status: 'posted' })).toBe(first);
    } finally {
      await second_app.close();
    }
    expect(first).toBe(3);
  });
});

describe('the facets the counters read', () => {
  it('are written with money events only, and are as immutable as the rest of the event', async () => {
    const facetsOf = async (type: string) =>
      (await t.db.pool.query('SELECT facets FROM events WHERE type = $1 LIMIT 1', [type])).rows[0]?.facets;
    expect(await facetsOf('wallet.created')).toBeNull();
    expect(await facetsOf('payout.failed')).toEqual({
      currency: 'USD',
      rail: 'bank_account',
      failure_code: 'account_closed',
    });
    await expect(
      t.db.pool.query(`UPDATE events SET facets = '{"currency":"EUR"}' WHERE type = 'payout.failed'`),
    ).rejects.toMatchObject({ code: '23001' });
  });
});

describe('backlogs and lags, read from the database', () => {
  it('shows events not yet sequenced, audit entries not yet sealed and jobs past due, with their ages', async () => {
    const wallet = await funded(t, '10.00');
    await transfer(t, {
      source_wallet_id: wallet,
      destination_wallet_id: await newWallet(t),
      amount: '1.00',
    });
    const job = { kind: 'metrics_probe', dedupe_key: 'metrics_probe', payload: {}, run_at: t.clock.now() };
    await enqueueJobs(t.db.pool, [job], t.clock.now());
    t.clock.advance(90_000);
    const body = await scrape(t);
    expect(sample(body, 'purse_events_unsequenced')).toBeGreaterThan(0);
    expect(sample(body, 'purse_event_sequencing_lag_seconds')).toBeGreaterThanOrEqual(90);
    expect(sample(body, 'purse_audit_unsealed_entries')).toBeGreaterThan(0);
    expect(sample(body, 'purse_audit_sealing_lag_seconds')).toBeGreaterThanOrEqual(90);
    expect(sample(body, 'purse_jobs_due')).toBe(1);
    expect(sample(body, 'purse_job_lag_seconds')).toBeGreaterThanOrEqual(90);
    await t.db.pool.query("DELETE FROM jobs WHERE kind = 'metrics_probe'");
    await sequence();
    t.clock.advance(facts_ttl_ms);
    expect(sample(await scrape(t), 'purse_events_unsequenced')).toBe(0);
  });

  it('shows due webhook deliveries, and counts attempts by outcome in the process that made them', async () => {
    receiver.answer(() => ({ status: 500 }));
    await postOk(t, '/v1/webhook_endpoints', { url: receiver.url, enabled_events: ['holder.created'] });
    await postOk(t, '/v1/holders', { name: 'Metric Holder' });
    await sequence();
    t.clock.advance(facts_ttl_ms);
    const before = await scrape(t);
    expect(sample(before, 'purse_webhook_deliveries_due')).toBe(1);
    const runner = new DeliveryRunner({
      pool: t.db.pool,
      clock: t.clock,
      config: t.config.webhooks,
      log: { error: (obj: object) => console.error(obj) },
    });
    await runner.poll();
    await runner.stop();
    await receiver.waitFor(1);
    t.clock.advance(facts_ttl_ms);
    const after = await scrape(t);
    expect(sample(after, 'purse_webhook_attempts_total', { outcome: 'failed' })).toBe(
      sample(before, 'purse_webhook_attempts_total', { outcome: 'failed' }) + 1,
    );
    // Retried in 60 s by the schedule: no longer due.
    expect(sample(after, 'purse_webhook_deliveries_due')).toBe(0);
  });
});

describe("the process's own figures", () => {
  it('shows group-commit batches and the queue', async () => {
    const before = await scrape(t);
    const wallet = await funded(t, '10.00');
    await transfer(t, {
      source_wallet_id: wallet,
      destination_wallet_id: await newWallet(t),
      amount: '1.00',
    });
    const after = await scrape(t);
    expect(sample(after, 'purse_group_commit_batch_transfers_count')).toBeGreaterThan(
      sample(before, 'purse_group_commit_batch_transfers_count'),
    );
    expect(sample(after, 'purse_group_commit_queued_transfers')).toBe(0);
  });

  it('still answers when the database cannot be read, saying so', async () => {
    const away = createPool('postgres://nobody@127.0.0.1:1/none', 1, {
      statement_timeout_ms: 1_000,
      connection_timeout_ms: 1_000,
    });
    const app = await buildApp({ pool: away, config: t.config, clock: t.clock });
    try {
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(sample(response.body, 'purse_cluster_metrics_up')).toBe(0);
      expect(response.body).toContain('purse_http_request_duration_seconds');
    } finally {
      await app.close();
      await away.end();
    }
  });
});
