import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/ports.js';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { type ReceivedSpan, spansOfExport } from '../test-support/otlp.js';
import { type PurseProcess, runPurse, waitForReady } from '../test-support/process.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';

const key = `sk_test_${'t'.repeat(40)}`;
const span_kind = { internal: 1, server: 2, client: 3 } as const;
const status_error = 2;

/** A W3C traceparent of a caller's own (sampled) span. */
function callerContext(): { trace_id: string; span_id: string; traceparent: string } {
  const trace_id = randomBytes(16).toString('hex');
  const span_id = randomBytes(8).toString('hex');
  return { trace_id, span_id, traceparent: `00-${trace_id}-${span_id}-01` };
}

interface Api {
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }>;
}

function api(base: string): Api {
  return {
    async call(method, path, body, headers = {}) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return {
        status: response.status,
        headers: response.headers,
        json: (await response.json()) as Record<string, unknown>,
      };
    },
  };
}

async function startServe(
  db: TestDatabase,
  env: Record<string, string>,
): Promise<{ server: PurseProcess; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = runPurse(['serve'], {
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    PURSE_BOOTSTRAP_KEY: key,
    LOG_LEVEL: 'warn',
    ...env,
  });
  await waitForReady(base);
  return { server, base };
}

/** Every span the collector received, once the server has exited (its shutdown flushes them). */
function receivedSpans(collector: Receiver): ReceivedSpan[] {
  return collector.received
    .filter((request) => request.path === '/v1/traces')
    .flatMap((request) => spansOfExport(request.body));
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeout_ms = 20_000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('tracing exported over OTLP/HTTP to a collector', () => {
  let db: TestDatabase;
  let collector: Receiver;
  let hooks: Receiver;
  let spans: ReceivedSpan[];
  const traced: {
    wallet_get?: {
      caller: ReturnType<typeof callerContext>;
      traceparent: string | null;
      request_id: string | null;
    };
    transfers?: { caller: ReturnType<typeof callerContext>; status: number }[];
    endpoint_id?: string;
    /** The webhook-id of the first delivery (answered 500) and of the second (answered 200). */
    webhook_ids?: string[];
    webhook_traceparents?: (string | string[] | undefined)[];
    healthz_traceparent?: string | null;
    log_lines?: Record<string, unknown>[];
  } = {};

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    collector = await startReceiver();
    hooks = await startReceiver();
    const { server, base } = await startServe(db, {
      OTEL_EXPORTER_OTLP_ENDPOINT: new URL(collector.url).origin,
      OTEL_SERVICE_NAME: 'purse-under-test',
      LOG_LEVEL: 'info',
      PURSE_SANDBOX_STEP_MS: '100',
      PURSE_WORKER_TICK_MS: '100',
      PURSE_EVENT_SEQUENCE_INTERVAL_MS: '50',
      PURSE_WEBHOOK_POLL_MS: '50',
      // One batch written at a time, and at most four transfers waiting for the next one.
      PURSE_GROUP_COMMIT_FLUSHES_MAX: '1',
      PURSE_GROUP_COMMIT_QUEUED_MAX: '4',
    });
    try {
      await exercise(api(base), base);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited, server.output()).toBe(0);
    }
    spans = receivedSpans(collector);
    traced.log_lines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }, 120_000);
  afterAll(async () => {
    await hooks.close();
    await collector.close();
    await db.drop();
  });

  async function exercise(client: Api, base: string): Promise<void> {
    const endpoint = await client.call('POST', '/v1/webhook_endpoints', {
      url: hooks.url,
      enabled_events: ['wallet.created'],
    });
    expect(endpoint.status).toBe(201);
    traced.endpoint_id = String(endpoint.json.id);
    hooks.answer((_request, index) => (index === 0 ? { status: 500, body: 'down' } : { status: 200 }));
    const source = await client.call('POST', '/v1/wallets', { currency: 'USD' });
    const target = await client.call('POST', '/v1/wallets', { currency: 'USD' });
    const source_id = String(source.json.id);
    const card = { type: 'card', number: '4242424242424242' };
    const funded = await client.call('POST', '/v1/payments', {
      wallet_id: source_id,
      amount: '100.00',
      currency: 'USD',
      source: card,
    });
    expect(funded.status).toBe(201);
    const caller = callerContext();
    const wallet_get = await client.call('GET', `/v1/wallets/${source_id}`, undefined, {
      traceparent: caller.traceparent,
    });
    expect(wallet_get.status).toBe(200);
    traced.wallet_get = {
      caller,
      traceparent: wallet_get.headers.get('traceparent'),
      request_id: wallet_get.headers.get('request-id'),
    };
    expect((await client.call('GET', '/v1/wallets/wal_missing')).status).toBe(404);
    const probe = await fetch(`${base}/healthz`, { headers: { traceparent: callerContext().traceparent } });
    traced.healthz_traceparent = probe.headers.get('traceparent');
    traced.transfers = await parallelTransfers(client, source_id, String(target.json.id));
    await slowPayment(client, source_id);
    const deliveries = (await hooks.waitFor(2)).slice(0, 2);
    traced.webhook_ids = deliveries.map((delivery) => String(delivery.headers['webhook-id']));
    traced.webhook_traceparents = deliveries.map((delivery) => delivery.headers.traceparent);
  }

  /**
   * Eight transfers at once while the test holds the source account's row lock: the first is
   * written alone and waits for the lock, four wait in the queue (its bound), three are refused 503
   * queue_full. Once those three are answered the queue is full, so the lock is let go and the
   * four leave as one batch.
   */
  async function parallelTransfers(client: Api, source_id: string, target_id: string) {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    const locked = await locker.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [source_id]);
    expect(locked.rowCount).toBe(1);
    let refused = 0;
    const sent = Array.from({ length: 8 }, async () => {
      const caller = callerContext();
      const response = await client.call(
        'POST',
        '/v1/transfers',
        { source_wallet_id: source_id, destination_wallet_id: target_id, amount: '1.00', currency: 'USD' },
        { traceparent: caller.traceparent },
      );
      if (response.status === 503) refused += 1;
      return { caller, status: response.status };
    });
    await waitUntil('three transfers are refused', async () => refused === 3);
    await locker.query('ROLLBACK');
    await locker.end();
    return Promise.all(sent);
  }

  /** A bank debit: processing, then settled by a job on a worker round once the sandbox step passed. */
  async function slowPayment(client: Api, wallet_id: string): Promise<void> {
    const payment = await client.call('POST', '/v1/payments', {
      wallet_id,
      amount: '5.00',
      currency: 'USD',
      source: { type: 'bank_account', account_number: '000123456789', routing_number: '110000000' },
    });
    expect(payment.json.status).toBe('processing');
    await waitUntil('the bank debit settles', async () => {
      const read = await client.call('GET', `/v1/payments/${String(payment.json.id)}`);
      return read.json.status === 'succeeded';
    });
  }

  const named = (name: string) => spans.filter((span) => span.name === name);

  it('names the service, and makes a request a SERVER span under the caller’s traceparent, which the response returns', () => {
    expect(new Set(spans.map((span) => span.service_name))).toEqual(new Set(['purse-under-test']));
    const get = traced.wallet_get;
    const [span] = spans.filter((candidate) => candidate.trace_id === get?.caller.trace_id);
    expect(span).toMatchObject({
      name: 'GET /v1/wallets/:id',
      kind: span_kind.server,
      parent_span_id: get?.caller.span_id,
      status: { code: 0 },
    });
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/v1/wallets/:id',
      'http.response.status_code': 200,
      'purse.livemode': false,
      'purse.request_id': get?.request_id,
    });
    expect(span?.attributes['url.path']).toMatch(/^\/v1\/wallets\/wal_/);
    expect(span?.attributes['purse.key_id']).toMatch(/^key_/);
    expect(get?.traceparent).toBe(`00-${span?.trace_id}-${span?.span_id}-01`);
  });

  it('leaves probes untraced', () => {
    expect(traced.healthz_traceparent).toBeNull();
    expect(spans.filter((span) => span.attributes['url.path'] === '/healthz')).toEqual([]);
  });

  it('a 4xx is not an error on the server span but names its problem; a 5xx is an error with its code', () => {
    const [missing] = spans.filter((span) => span.attributes['url.path'] === '/v1/wallets/wal_missing');
    expect(missing?.status.code).toBe(0);
    expect(missing?.attributes['http.response.status_code']).toBe(404);
    expect(missing?.attributes['purse.problem.code']).toBe('resource_not_found');
    const refused = named('POST /v1/transfers').filter(
      (span) => span.attributes['http.response.status_code'] === 503,
    );
    expect(refused).toHaveLength(3);
    for (const span of refused) {
      expect(span.status).toEqual({ code: status_error, message: 'queue_full' });
      expect(span.attributes['error.type']).toBe('queue_full');
    }
  });

  it('writes a group-commit batch as one span linked to each of its requests, which note their wait', () => {
    const transfers = traced.transfers ?? [];
    expect(transfers.filter((transfer) => transfer.status === 201)).toHaveLength(5);
    const request_spans = named('POST /v1/transfers').filter(
      (span) => span.attributes['http.response.status_code'] === 201,
    );
    expect(request_spans).toHaveLength(5);
    for (const span of request_spans)
      expect(transfers.map((transfer) => transfer.caller.span_id)).toContain(span.parent_span_id);
    const [batch] = named('group_commit.batch').filter((span) => span.attributes['purse.batch.jobs'] === 4);
    expect(batch?.parent_span_id).toBeUndefined();
    expect(batch?.attributes['purse.batch.transfers']).toBe(4);
    expect(batch?.events.map((event) => event.name)).toEqual(['connection_acquired', 'commit_started']);
    const linked = request_spans.filter((span) =>
      batch?.links.some((link) => link.trace_id === span.trace_id && link.span_id === span.span_id),
    );
    expect(linked).toHaveLength(4);
    for (const span of linked) {
      expect(span.events.map((event) => event.name)).toEqual([
        'group_commit.queued',
        'group_commit.batch_started',
        'group_commit.committed',
      ]);
      expect(span.events[1]?.attributes['purse.batch.trace_id']).toBe(batch?.trace_id);
    }
  });

  it('puts a rail call under its request', () => {
    const pay_ins = named('rail.pay_in');
    expect(pay_ins.map((span) => span.attributes['purse.rail']).sort()).toEqual(['bank_account', 'card']);
    for (const pay_in of pay_ins) {
      const parent = spans.find((span) => span.span_id === pay_in.parent_span_id);
      expect(parent?.name).toBe('POST /v1/payments');
    }
    const card = pay_ins.find((span) => span.attributes['purse.rail'] === 'card');
    expect(card?.attributes['purse.rail.status']).toBe('succeeded');
  });

  it('runs a job as a span under its worker round, and exports no idle round', () => {
    const [job] = named('job.run').filter(
      (span) => span.attributes['purse.job.kind'] === 'payment.rail_update',
    );
    expect(job?.attributes['purse.job.attempt']).toBe(1);
    const round = spans.find((span) => span.span_id === job?.parent_span_id);
    expect(round).toMatchObject({
      name: 'worker.run_jobs',
      kind: span_kind.internal,
      parent_span_id: undefined,
    });
    expect(round?.attributes['purse.task']).toBe('run_jobs');
    // Its log line carries its ids.
    const ran = traced.log_lines?.find((line) => line.trace_id === round?.trace_id);
    expect(ran).toMatchObject({ msg: 'background task ran', task: 'run_jobs', span_id: round?.span_id });
    const rounds = spans.filter((span) => span.name.startsWith('worker.'));
    for (const span of rounds) expect(Number(span.attributes['purse.task.handled'])).toBeGreaterThan(0);
    expect(rounds.every((span) => span.attributes['purse.idle'] === undefined)).toBe(true);
  });

  it('sends each webhook attempt as a CLIENT span, failed when not answered 2xx, without handing the receiver a traceparent', () => {
    expect(traced.webhook_traceparents).toEqual([undefined, undefined]);
    const [failed_id, delivered_id] = traced.webhook_ids ?? [];
    const attempt = (event_id: string | undefined) =>
      named('webhook.deliver').find(
        (span) =>
          span.attributes['purse.event.id'] === event_id && span.attributes['purse.webhook.attempt'] === 1,
      );
    const delivered = attempt(delivered_id);
    expect(delivered).toMatchObject({
      kind: span_kind.client,
      parent_span_id: undefined,
      status: { code: 0 },
    });
    expect(delivered?.attributes).toMatchObject({
      'purse.webhook.endpoint_id': traced.endpoint_id,
      'purse.event.type': 'wallet.created',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
    });
    expect(delivered?.attributes['purse.webhook.delivery_id']).toMatch(/^whd_/);
    const failed = attempt(failed_id);
    expect(failed?.status.code).toBe(status_error);
    expect(failed?.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
  });
});

describe('tracing off', () => {
  let db: TestDatabase;
  let collector: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    collector = await startReceiver();
  });
  afterAll(async () => {
    await collector.close();
    await db.drop();
  });

  it('with OTEL_SDK_DISABLED=true sends no span and answers no traceparent, even with an endpoint set', async () => {
    const { server, base } = await startServe(db, {
      OTEL_EXPORTER_OTLP_ENDPOINT: new URL(collector.url).origin,
      OTEL_SDK_DISABLED: 'true',
    });
    try {
      const response = await api(base).call(
        'POST',
        '/v1/wallets',
        { currency: 'USD' },
        {
          traceparent: callerContext().traceparent,
        },
      );
      expect(response.status).toBe(201);
      expect(response.headers.get('traceparent')).toBeNull();
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited, server.output()).toBe(0);
    }
    expect(collector.received).toEqual([]);
  });
});
