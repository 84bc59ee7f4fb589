import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { sequenceEvents } from '../events/sequencer.js';
import { systemClock } from '../shared/clock.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { expectProblem } from '../test-support/money.js';
import { type Receiver, startReceiver, verifiesWith } from '../test-support/receiver.js';
import { DeliveryRunner } from './delivery-runner.js';

const webhooks = { retry_schedule_s: [0.1, 0.1], timeout_ms: 400, response_bytes_max: 64 };

let t: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  t = await createTestApp({}, {}, {}, webhooks);
});
afterAll(() => t.close());
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  await t.db.pool.query('DELETE FROM webhook_endpoints');
  await receiver.close();
});

interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  replay: boolean;
  attempt_count: number;
  attempts: {
    attempt: number;
    status_code: number | null;
    error: string | null;
    latency_ms: number;
    response_excerpt: string | null;
  }[];
}

async function endpoint(
  enabled_events: string[] = ['holder.*'],
  url = receiver.url,
): Promise<{ id: string; secret: string }> {
  const response = await t.request({
    method: 'POST',
    url: '/v1/webhook_endpoints',
    payload: { url, enabled_events },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

async function holder(name: string): Promise<string> {
  const response = await t.request({ method: 'POST', url: '/v1/holders', payload: { name } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

async function eventIdOf(object_id: string, type: string): Promise<string> {
  const response = await t.request({ method: 'GET', url: `/v1/events?object_id=${object_id}&type=${type}` });
  const id = response.json().data[0]?.id;
  expect(id, `${type} of ${object_id}`).toBeDefined();
  return id;
}

async function deliveries(endpoint_id: string): Promise<Delivery[]> {
  const response = await t.request({
    method: 'GET',
    url: `/v1/webhook_endpoints/${endpoint_id}/deliveries?limit=100`,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: Delivery[] }>().data.reverse();
}

/** Runs the worker's two steps (sequence, deliver) until `done` holds; as `purse worker` does, faster. */
async function deliverUntil(
  done: () => Promise<boolean> | boolean,
  runners = 1,
  timeout_ms = 10_000,
): Promise<void> {
  const log = { error: (obj: object) => console.error(obj) };
  const pool = Array.from(
    { length: runners },
    () => new DeliveryRunner({ pool: t.db.pool, clock: systemClock, config: t.config.webhooks, log }),
  );
  const deadline = Date.now() + timeout_ms;
  try {
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error('deliveries did not finish in time');
      await sequenceEvents(t.db.pool, 1_000, systemClock.now());
      await Promise.all(pool.map((runner) => runner.poll()));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await Promise.all(pool.map((runner) => runner.stop()));
  }
}

async function settled(endpoint_id: string, count: number): Promise<boolean> {
  const all = await deliveries(endpoint_id);
  return all.length >= count && all.every((delivery) => delivery.status !== 'pending');
}

describe('webhook delivery', () => {
  it('POSTs the event, signed per Standard Webhooks, verifiable by an independent implementation', async () => {
    const { id, secret } = await endpoint(['holder.*']);
    const holder_id = await holder('Ada');
    await t.request({ method: 'POST', url: '/v1/wallets', payload: { currency: 'USD' } });
    await deliverUntil(() => settled(id, 1));
    const [delivery] = await receiver.waitFor(1);
    expect(receiver.received).toHaveLength(1);
    const event_id = await eventIdOf(holder_id, 'holder.created');
    const event = (await t.request({ method: 'GET', url: `/v1/events/${event_id}` })).json();
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(delivery?.headers['webhook-id']).toBe(event_id);
    expect(Number(delivery?.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
    expect(JSON.parse(delivery?.body ?? '')).toEqual(event);
    if (delivery === undefined) throw new Error('no delivery');
    expect(verifiesWith(secret, delivery)).toBe(true);
    expect(verifiesWith(secret, { ...delivery, body: `${delivery.body} ` })).toBe(false);
    expect(verifiesWith(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, delivery)).toBe(false);
    // The documented receiver snippet uses the standardwebhooks package; it agrees.
    expect(new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>)).toEqual(
      event,
    );
    const [logged] = await deliveries(id);
    expect(logged).toMatchObject({
      event_id,
      event_type: 'holder.created',
      status: 'succeeded',
      attempt_count: 1,
      replay: false,
    });
    expect(logged?.attempts).toEqual([
      {
        attempt: 1,
        status_code: 200,
        error: null,
        latency_ms: expect.any(Number),
        // The receiver is on 127.0.0.1: nothing of a private address's answer is kept.
        response_excerpt: null,
        created_at: expect.any(String),
      },
    ]);
  });

  it('retries a receiver that fails until it recovers, with the same webhook-id', async () => {
    const { id } = await endpoint();
    receiver.answer((_request, index) =>
      index < 2 ? { status: 503, body: 'down for maintenance' } : { status: 200 },
    );
    const holder_id = await holder('Retry');
    await deliverUntil(() => settled(id, 1));
    const received = await receiver.waitFor(3);
    const event_id = await eventIdOf(holder_id, 'holder.created');
    expect(received.map((request) => request.headers['webhook-id'])).toEqual([event_id, event_id, event_id]);
    const [delivery] = await deliveries(id);
    expect(delivery?.status).toBe('succeeded');
    expect(delivery?.attempts.map((attempt) => [attempt.status_code, attempt.response_excerpt])).toEqual([
      [503, null],
      [503, null],
      [200, null],
    ]);
    const stored = await t.db.pool.query(
      'SELECT failing_since, status FROM webhook_endpoints WHERE id = $1',
      [id],
    );
    expect(stored.rows[0]).toEqual({ failing_since: null, status: 'enabled' });
  });

  it('counts a timeout as a failure and tries again', async () => {
    const { id } = await endpoint();
    receiver.answer((_request, index) => (index === 0 ? 'hang' : { status: 204 }));
    await holder('Slow');
    await deliverUntil(() => settled(id, 1));
    const [delivery] = await deliveries(id);
    expect(delivery?.attempts.map((attempt) => [attempt.status_code, attempt.error])).toEqual([
      [null, 'timed out after 400 ms'],
      [204, null],
    ]);
    expect(delivery?.attempts[0]?.latency_ms).toBeGreaterThanOrEqual(390);
  });

  it('disables the endpoint at once on HTTP 410, and records an event saying so', async () => {
    const { id } = await endpoint();
    receiver.answer(() => ({ status: 410, body: 'gone' }));
    await holder('Gone');
    await deliverUntil(() => settled(id, 1));
    const endpoint_now = (await t.request({ method: 'GET', url: `/v1/webhook_endpoints/${id}` })).json();
    expect(endpoint_now).toMatchObject({ status: 'disabled', disabled_reason: 'gone' });
    expect((await deliveries(id)).map((delivery) => [delivery.status, delivery.attempt_count])).toEqual([
      ['failed', 1],
    ]);
    const events = (
      await t.request({ method: 'GET', url: `/v1/events?object_id=${id}&type=webhook_endpoint.disabled` })
    ).json();
    expect(events.data.map((event: { data: { object: unknown } }) => event.data.object)).toEqual([
      endpoint_now,
    ]);
    await holder('Not sent');
    await deliverUntil(async () => (await sequenceEvents(t.db.pool, 1_000, systemClock.now())) === 0);
    expect(receiver.received).toHaveLength(1);
    expect(await deliveries(id)).toHaveLength(1);
  });

  it('gives up after the retry schedule and disables an endpoint that kept failing', async () => {
    const { id } = await endpoint();
    receiver.answer(() => ({ status: 500, body: 'x'.repeat(1_000) }));
    await holder('Failing');
    await deliverUntil(() => settled(id, 1));
    const [delivery] = await deliveries(id);
    expect(delivery?.status).toBe('failed');
    expect(delivery?.attempts.map((attempt) => attempt.status_code)).toEqual([500, 500, 500]);
    expect((await t.request({ method: 'GET', url: `/v1/webhook_endpoints/${id}` })).json()).toMatchObject({
      status: 'disabled',
      disabled_reason: 'failing',
    });
  });

  it('does not disable an endpoint that refuses one event but accepts others', async () => {
    const { id } = await endpoint();
    receiver.answer((request) => (request.body.includes('"Poison"') ? { status: 422 } : { status: 200 }));
    await holder('Poison');
    await deliverUntil(() => receiver.received.length >= 1);
    // Accepted while Poison waits for its retry: the endpoint works, it refuses one event only.
    await holder('Fine');
    await deliverUntil(() => settled(id, 2));
    expect((await deliveries(id)).map((delivery) => delivery.status).sort()).toEqual(['failed', 'succeeded']);
    expect((await t.request({ method: 'GET', url: `/v1/webhook_endpoints/${id}` })).json().status).toBe(
      'enabled',
    );
  });

  it('never follows redirects', async () => {
    const other = await startReceiver();
    try {
      const { id } = await endpoint();
      receiver.answer(() => ({ status: 307, headers: { location: other.url } }));
      await holder('Redirected');
      await deliverUntil(() => settled(id, 1));
      expect((await deliveries(id))[0]?.attempts.map((attempt) => attempt.status_code)).toEqual([
        307, 307, 307,
      ]);
      expect(other.received).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it("delivers each object's events in order, without holding up other objects", async () => {
    const { id } = await endpoint();
    const first = await holder('Ordered');
    await t.request({ method: 'POST', url: `/v1/holders/${first}`, payload: { kyc_status: 'verified' } });
    const other = await holder('Other');
    // The first event of `first` fails twice; its update must wait, `other` need not.
    let failures = 0;
    receiver.answer((request) =>
      request.body.includes('"holder.created"') && request.body.includes('"Ordered"') && failures++ < 2
        ? { status: 500 }
        : { status: 200 },
    );
    await deliverUntil(() => settled(id, 3));
    const order = receiver.received.map((request) => {
      const event = JSON.parse(request.body) as { type: string; data: { object: { id: string } } };
      return `${event.data.object.id === first ? 'first' : 'other'} ${event.type}`;
    });
    expect(order.filter((entry) => entry.startsWith('first'))).toEqual([
      'first holder.created',
      'first holder.created',
      'first holder.created',
      'first holder.updated',
    ]);
    expect(order.indexOf('other holder.created')).toBeLessThan(order.lastIndexOf('first holder.created'));
    expect(other).toBeDefined();
  });

  it('replays one event, or every subscribed event since a time, with the original webhook-id', async () => {
    const { id } = await endpoint(['holder.created']);
    // Earlier tests' events share the fixed test clock's time; move it on (it stays behind real time).
    t.clock.advance(1);
    const since = t.clock.now().toISOString();
    const first = await holder('Replay one');
    await t.request({
      method: 'POST',
      url: `/v1/holders/${first}`,
      payload: { name: 'Replay one, renamed' },
    });
    await holder('Replay two');
    await deliverUntil(() => settled(id, 2));
    const event_id = await eventIdOf(first, 'holder.created');
    const replay = (payload: object) =>
      t.request({ method: 'POST', url: `/v1/webhook_endpoints/${id}/replay`, payload });
    expect((await replay({ event_id })).json()).toEqual({
      object: 'webhook_replay',
      endpoint_id: id,
      queued: 1,
    });
    // Sent before the next replay, which would not queue it again while it is pending.
    await deliverUntil(() => settled(id, 3));
    expect((await replay({ since })).json().queued).toBe(2);
    await deliverUntil(() => settled(id, 5));
    const ids = receiver.received.map((request) => request.headers['webhook-id']);
    expect(ids).toHaveLength(5);
    expect(ids.filter((webhook_id) => webhook_id === event_id)).toHaveLength(3);
    expect((await deliveries(id)).filter((delivery) => delivery.replay)).toHaveLength(3);
    expectProblem(await replay({}), 400, 'invalid_request', 'event_id');
    expectProblem(await replay({ event_id, since }), 400, 'invalid_request', 'event_id');
    expectProblem(await replay({ event_id: 'evt_missing' }), 404, 'resource_not_found', 'event_id');
    await t.request({ method: 'POST', url: `/v1/webhook_endpoints/${id}`, payload: { disabled: true } });
    expectProblem(await replay({ event_id }), 409, 'webhook_endpoint_disabled');
  });

  it('queues an event once while it is pending for the endpoint, however many replays ask (second attack, L1)', async () => {
    const { id } = await endpoint(['holder.created']);
    t.clock.advance(1);
    const since = t.clock.now().toISOString();
    const first = await holder('Replayed once');
    await holder('Replayed once too');
    await deliverUntil(() => settled(id, 2));
    const event_id = await eventIdOf(first, 'holder.created');
    const replay = async (payload: object) => {
      const response = await t.request({
        method: 'POST',
        url: `/v1/webhook_endpoints/${id}/replay`,
        payload,
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json().queued as number;
    };
    expect(await replay({ since })).toBe(2);
    // Back to back, before the worker sends anything: nothing more is queued.
    expect(await Promise.all([replay({ since }), replay({ since }), replay({ event_id })])).toEqual([
      0, 0, 0,
    ]);
    await deliverUntil(() => settled(id, 4));
    expect(receiver.received).toHaveLength(4);
    // Once sent, the events may be replayed again.
    expect(await replay({ since })).toBe(2);
    await deliverUntil(() => settled(id, 6));
    expect(receiver.received).toHaveLength(6);
  });

  it('refuses a replay matching more than replay_events_max events (PURSE_WEBHOOK_REPLAY_EVENTS_MAX)', async () => {
    expect(loadConfig({}).webhooks.replay_events_max).toBe(1_000);
    expect(loadConfig({ PURSE_WEBHOOK_REPLAY_EVENTS_MAX: '50' }).webhooks.replay_events_max).toBe(50);
    t.clock.advance(1);
    const since = t.clock.now().toISOString();
    const max = t.config.webhooks.replay_events_max;
    await t.db.pool.query(
      `INSERT INTO events (id, livemode, type, object_id, data, created_at)
       SELECT 'evt_bulk_' || n, false, 'holder.created', 'hol_bulk_' || n, '{}', $1 FROM generate_series(1, $2) AS n`,
      [t.clock.now(), max + 1],
    );
    await sequenceEvents(t.db.pool, max + 1, systemClock.now());
    // Created after the events were queued, so only a replay could send them.
    const { id } = await endpoint(['holder.created']);
    const replay = (payload: object) =>
      t.request({ method: 'POST', url: `/v1/webhook_endpoints/${id}/replay`, payload });
    expectProblem(await replay({ since }), 400, 'invalid_request', 'since');
    const deliveries = await t.db.pool.query('SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1', [id]);
    expect(deliveries.rowCount).toBe(0);
  });

  it('signs with both secrets during a rotation grace period, then with the new one only', async () => {
    const { id, secret: old_secret } = await endpoint();
    const rotate = async (grace_period_s: number) =>
      (
        await t.request({
          method: 'POST',
          url: `/v1/webhook_endpoints/${id}/rotate_secret`,
          payload: { grace_period_s },
        })
      ).json().secret as string;
    const new_secret = await rotate(3_600);
    await holder('During grace');
    await deliverUntil(() => settled(id, 1));
    const [during] = await receiver.waitFor(1);
    if (during === undefined) throw new Error('no delivery');
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifiesWith(old_secret, during)).toBe(true);
    expect(verifiesWith(new_secret, during)).toBe(true);
    const newest = await rotate(0);
    await holder('After grace');
    await deliverUntil(() => settled(id, 2));
    const after = receiver.received[1];
    if (after === undefined) throw new Error('no delivery');
    expect(verifiesWith(newest, after)).toBe(true);
    expect(verifiesWith(new_secret, after)).toBe(false);
  });

  it('several workers claim concurrently and send each attempt once', async () => {
    const { id } = await endpoint();
    receiver.answer(() => ({ status: 200 }));
    for (let i = 0; i < 40; i += 1) await holder(`Concurrent ${i}`);
    await deliverUntil(() => settled(id, 40), 4);
    const ids = receiver.received.map((request) => request.headers['webhook-id']);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('keeps the write path free while a receiver hangs', async () => {
    const { id } = await endpoint();
    receiver.answer(() => 'hang');
    await holder('Hanging');
    const runner = new DeliveryRunner({
      pool: t.db.pool,
      clock: systemClock,
      config: t.config.webhooks,
      log: console,
    });
    await sequenceEvents(t.db.pool, 1_000, systemClock.now());
    await runner.poll();
    await receiver.waitFor(1);
    const started = performance.now();
    await holder('Written meanwhile');
    expect(performance.now() - started).toBeLessThan(300);
    await runner.stop();
    expect((await deliveries(id))[0]?.attempts[0]?.error).toBe('timed out after 400 ms');
  });

  it('keeps no part of the answer of a service on a private address, whatever the URL spells (read-SSRF)', async () => {
    // A test-mode key may point an endpoint at localhost; it must not read what answers there.
    const secret = 'internal admin token 7f3a9c';
    receiver.answer(() => ({ status: 200, body: `{"token": "${secret}"}`, headers: { 'x-secret': secret } }));
    const port = new URL(receiver.url).port;
    const urls = [receiver.url, `http://localhost:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`];
    const ids: string[] = [];
    for (const url of urls) ids.push((await endpoint(['holder.*'], url)).id);
    await holder('Probe');
    await deliverUntil(async () => (await Promise.all(ids.map((id) => settled(id, 1)))).every(Boolean));
    for (const id of ids) {
      const log = await t.request({ method: 'GET', url: `/v1/webhook_endpoints/${id}/deliveries` });
      expect(log.body).not.toContain(secret);
      const [delivery] = log.json<{ data: Delivery[] }>().data;
      expect(delivery?.attempts).toEqual([
        expect.objectContaining({ status_code: 200, error: null, response_excerpt: null }),
      ]);
    }
    const stored = await t.db.pool.query(
      'SELECT count(*)::int AS kept FROM webhook_attempts WHERE response_excerpt IS NOT NULL',
    );
    expect(stored.rows[0]).toEqual({ kept: 0 });
  });

  it('names only the code of an error raised by a service on a private address', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'purse-tls-'));
    const [key_path, cert_path] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
      ].concat(['-subj', '/CN=vault.internal.corp', '-keyout', key_path, '-out', cert_path]),
      { stdio: 'ignore' },
    );
    const internal = createHttpsServer(
      { key: await readFile(key_path), cert: await readFile(cert_path) },
      (_q, r) => r.end('secret'),
    );
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = internal.address() as AddressInfo;
      const { id } = await endpoint(['holder.*'], `https://127.0.0.1:${port}/`);
      await holder('TLS probe');
      await deliverUntil(() => settled(id, 1));
      const [delivery] = await deliveries(id);
      expect(delivery?.attempts.map((attempt) => attempt.error)).toEqual([
        'DEPTH_ZERO_SELF_SIGNED_CERT',
        'DEPTH_ZERO_SELF_SIGNED_CERT',
        'DEPTH_ZERO_SELF_SIGNED_CERT',
      ]);
    } finally {
      internal.closeAllConnections();
      await new Promise((resolve) => internal.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('in live mode, refuses at send time an address that became private', async () => {
    const row = await t.db.pool.query<{ id: string }>(
      `INSERT INTO webhook_endpoints (id, livemode, url, enabled_events, secret, created_at, updated_at)
       VALUES ('we_rebound', true, $1, '{*}', 'whsec_${Buffer.alloc(32, 2).toString('base64')}', now(), now()) RETURNING id`,
      [receiver.url.replace('127.0.0.1', 'localhost')],
    );
    const created = await t.request({
      method: 'POST',
      url: '/v1/holders',
      payload: { name: 'Live' },
      key: t.live_key,
    });
    expect(created.statusCode).toBe(201);
    await deliverUntil(async () => {
      const result = await t.db.pool.query(
        "SELECT 1 FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = 'we_rebound'",
      );
      return (result.rowCount ?? 0) > 0;
    });
    const attempt = await t.db.pool.query(
      'SELECT status_code, error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1',
      [row.rows[0]?.id],
    );
    expect(attempt.rows[0]).toEqual({ status_code: null, error: expect.stringMatching(/forbidden address/) });
    expect(receiver.received).toHaveLength(0);
  });
});

describe('many endpoints that never answer (second attack, L1)', () => {
  it('leave slots to a healthy endpoint: it is served within about one timeout, not after every hanging attempt', async () => {
    const timeout_ms = 1_000;
    const s = await createTestApp(
      {},
      {},
      {},
      {
        retry_schedule_s: [60],
        timeout_ms,
        deliveries_in_flight_max: 4,
        deliveries_per_endpoint_in_flight_max: 2,
        failing_deliveries_in_flight_max: 2,
      },
    );
    const held: Socket[] = [];
    const tarpit = createServer((socket) => {
      held.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => tarpit.listen(0, '127.0.0.1', resolve));
    const tarpit_url = `http://127.0.0.1:${(tarpit.address() as AddressInfo).port}/`;
    const healthy = await startReceiver();
    const create = async (url: string) => {
      const response = await s.request({
        method: 'POST',
        url: '/v1/webhook_endpoints',
        payload: { url, enabled_events: ['holder.created'] },
      });
      expect(response.statusCode, response.body).toBe(201);
    };
    const holders = async (count: number) => {
      for (let i = 0; i < count; i += 1)
        await s.request({ method: 'POST', url: '/v1/holders', payload: { name: `Holder ${i}` } });
      await sequenceEvents(s.db.pool, 1_000, systemClock.now());
    };
    try {
      for (let i = 0; i < 6; i += 1) await create(tarpit_url);
      // 30 deliveries to hanging endpoints, all older than the healthy endpoint's one.
      await holders(5);
      await create(healthy.url);
      await new Promise((resolve) => setTimeout(resolve, 10));
      await holders(1);
      const log = { error: (obj: object) => console.error(obj) };
      const runner = new DeliveryRunner({
        pool: s.db.pool,
        clock: systemClock,
        config: s.config.webhooks,
        log,
      });
      const started = Date.now();
      let served_after_ms = Number.POSITIVE_INFINITY;
      try {
        while (Date.now() - started < 15_000) {
          await runner.poll();
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (healthy.received.length > 0) {
            served_after_ms = Date.now() - started;
            break;
          }
        }
      } finally {
        await runner.stop();
      }
      // Four slots and 30 hanging attempts ahead of it: without the shares, about 8 timeouts; with
      // them, the first four hanging attempts end (one timeout), and it goes before their retries.
      expect(served_after_ms).toBeLessThan(timeout_ms * 2.5);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => tarpit.close(resolve));
      await healthy.close();
      await s.close();
    }
  }, 30_000);
});
