import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SequencedEvent, sequenceEvents } from '../events/sequencer.js';
import { systemClock } from '../shared/clock.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { expectProblem } from '../test-support/money.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';
import { queueDeliveries } from './delivery-queue.js';
import { DeliveryRunner } from './delivery-runner.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({}, {}, {}, { endpoints_per_mode_max: 3 });
});
afterAll(() => t.close());

interface Endpoint {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  status: string;
  disabled_reason: string | null;
  enabled_events: string[];
  description: string | null;
  previous_secret_expires_at: string | null;
  secret?: string;
}

const hook = 'http://localhost:4000/hooks';

function create(payload: object, key?: string, headers?: Record<string, string>) {
  return t.request({
    method: 'POST',
    url: '/v1/webhook_endpoints',
    payload,
    ...(key === undefined ? {} : { key }),
    ...(headers === undefined ? {} : { headers }),
  });
}

async function created(payload: object): Promise<Endpoint> {
  const response = await create(payload);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Endpoint>();
}

async function eventTypes(object_id: string): Promise<string[]> {
  const response = await t.request({ method: 'GET', url: `/v1/events?object_id=${object_id}` });
  return response
    .json<{ data: { type: string }[] }>()
    .data.map((event) => event.type)
    .reverse();
}

describe('webhook endpoints', () => {
  it('shows the signing secret once, on creation; never in reads, replays or events', async () => {
    const response = await create(
      {
        url: hook,
        enabled_events: ['transfer.*', 'wallet.frozen', 'transfer.*'],
        description: 'ledger sync',
      },
      undefined,
      { 'idempotency-key': 'endpoint-1' },
    );
    expect(response.statusCode, response.body).toBe(201);
    const endpoint = response.json<Endpoint>();
    expect(endpoint).toMatchObject({
      id: expect.stringMatching(/^we_[0-9a-z]{26}$/),
      object: 'webhook_endpoint',
      url: hook,
      status: 'enabled',
      disabled_reason: null,
      enabled_events: ['transfer.*', 'wallet.frozen'],
      description: 'ledger sync',
    });
    expect(Buffer.from(endpoint.secret?.replace(/^whsec_/, '') ?? '', 'base64')).toHaveLength(32);
    const read = await t.request({ method: 'GET', url: `/v1/webhook_endpoints/${endpoint.id}` });
    const { secret, ...without_secret } = endpoint;
    expect(read.json()).toEqual(without_secret);
    const replayed = await create(
      {
        url: hook,
        enabled_events: ['transfer.*', 'wallet.frozen', 'transfer.*'],
        description: 'ledger sync',
      },
      undefined,
      { 'idempotency-key': 'endpoint-1' },
    );
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.json()).toEqual(without_secret);
    const listed = await t.request({ method: 'GET', url: '/v1/webhook_endpoints' });
    expect(listed.json().data).toContainEqual(without_secret);
    const events = await t.request({ method: 'GET', url: `/v1/events?object_id=${endpoint.id}` });
    expect(events.json().data.map((event: { type: string }) => event.type)).toEqual([
      'webhook_endpoint.created',
    ]);
    expect(events.body).not.toContain(String(secret));
    await t.request({ method: 'DELETE', url: `/v1/webhook_endpoints/${endpoint.id}` });
  });

  it('refuses URLs that are not absolute http(s) without credentials, and unknown event types', async () => {
    for (const url of [
      'ftp://example.com/x',
      'example.com/hooks',
      'http://user:pw@example.com/',
      'file:///etc/passwd',
    ]) {
      expectProblem(await create({ url, enabled_events: ['*'] }), 400, 'invalid_webhook_url', 'url');
    }
    expectProblem(
      await create({ url: hook, enabled_events: ['*', 'wallet.melted'] }),
      400,
      'unknown_event_type',
      'enabled_events.1',
    );
    expectProblem(
      await create({ url: hook, enabled_events: ['transfers.*'] }),
      400,
      'unknown_event_type',
      'enabled_events.0',
    );
    expectProblem(await create({ url: hook, enabled_events: [] }), 400, 'invalid_request', 'enabled_events');
    expectProblem(await create({ url: hook }), 400, 'invalid_request', 'enabled_events');
    expect((await t.db.pool.query('SELECT 1 FROM webhook_endpoints')).rowCount).toBe(0);
  });

  it('in live mode, refuses URLs that reach loopback, private or link-local addresses', async () => {
    for (const url of [
      'http://127.0.0.1:8080/',
      'http://localhost/hooks',
      'http://[::1]/hooks',
      'http://10.1.2.3/hooks',
      'http://172.16.0.1/',
      'http://192.168.1.10/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:127.0.0.1]/',
      'http://[fe80::1]/',
      'http://0.0.0.0/',
    ]) {
      expectProblem(
        await create({ url, enabled_events: ['*'] }, t.live_key),
        400,
        'webhook_url_forbidden',
        'url',
      );
    }
    const public_endpoint = await create(
      { url: 'https://93.184.216.34/hooks', enabled_events: ['*'] },
      t.live_key,
    );
    expect(public_endpoint.statusCode, public_endpoint.body).toBe(201);
    const id = public_endpoint.json().id;
    expectProblem(
      await t.request({
        method: 'POST',
        url: `/v1/webhook_endpoints/${id}`,
        payload: { url: 'http://10.0.0.1/' },
        key: t.live_key,
      }),
      400,
      'webhook_url_forbidden',
      'url',
    );
    // Test mode may use localhost, for development.
    const local = await created({ url: 'http://127.0.0.1:9/hooks', enabled_events: ['*'] });
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/webhook_endpoints/${local.id}`, key: t.live_key }),
      404,
      'resource_not_found',
    );
    await t.request({ method: 'DELETE', url: `/v1/webhook_endpoints/${local.id}` });
    await t.request({ method: 'DELETE', url: `/v1/webhook_endpoints/${id}`, key: t.live_key });
  });

  it('updates, disables and enables, recording an event per change', async () => {
    const endpoint = await created({ url: hook, enabled_events: ['*'], description: 'first' });
    const update = (payload: object) =>
      t.request({ method: 'POST', url: `/v1/webhook_endpoints/${endpoint.id}`, payload });
    const updated = await update({
      url: `${hook}/v2`,
      enabled_events: ['holder.*'],
      description: null,
      metadata: { team: 'ops' },
    });
    expect(updated.json()).toMatchObject({
      url: `${hook}/v2`,
      enabled_events: ['holder.*'],
      description: null,
      status: 'enabled',
    });
    expect((await update({ disabled: true })).json()).toMatchObject({
      status: 'disabled',
      disabled_reason: 'requested',
    });
    expect((await update({ disabled: true })).json()).toMatchObject({ status: 'disabled' });
    expect((await update({ disabled: false })).json()).toMatchObject({
      status: 'enabled',
      disabled_reason: null,
    });
    expect((await update({ description: null })).statusCode).toBe(200);
    expect(await eventTypes(endpoint.id)).toEqual([
      'webhook_endpoint.created',
      'webhook_endpoint.updated',
      'webhook_endpoint.disabled',
      'webhook_endpoint.enabled',
    ]);
    expectProblem(
      await update({ enabled_events: ['nope.*'] }),
      400,
      'unknown_event_type',
      'enabled_events.0',
    );
    expectProblem(
      await t.request({ method: 'POST', url: '/v1/webhook_endpoints/we_missing', payload: {} }),
      404,
      'resource_not_found',
    );
    await t.request({ method: 'DELETE', url: `/v1/webhook_endpoints/${endpoint.id}` });
  });

  it('rotates the secret, keeping the old one for a bounded grace period', async () => {
    const endpoint = await created({ url: hook, enabled_events: ['*'] });
    const rotate = (payload: object) =>
      t.request({ method: 'POST', url: `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, payload });
    const rotated = (await rotate({ grace_period_s: 3600 })).json<Endpoint>();
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(rotated.previous_secret_expires_at).toBe(
      new Date(t.clock.now().getTime() + 3_600_000).toISOString(),
    );
    const stored = await t.db.pool.query(
      'SELECT secret, previous_secret FROM webhook_endpoints WHERE id = $1',
      [endpoint.id],
    );
    expect(stored.rows[0]).toEqual({ secret: rotated.secret, previous_secret: endpoint.secret });
    expectProblem(await rotate({ grace_period_s: 8 * 86_400 }), 400, 'invalid_request', 'grace_period_s');
    const at_once = (await rotate({ grace_period_s: 0 })).json<Endpoint>();
    expect(at_once.previous_secret_expires_at).toBeNull();
    expect(await eventTypes(endpoint.id)).toEqual([
      'webhook_endpoint.created',
      'webhook_endpoint.updated',
      'webhook_endpoint.updated',
    ]);
    await t.request({ method: 'DELETE', url: `/v1/webhook_endpoints/${endpoint.id}` });
  });

  it('deletes an endpoint with its deliveries; an event says so', async () => {
    const endpoint = await created({ url: hook, enabled_events: ['*'] });
    const deleted = await t.request({ method: 'DELETE', url: `/v1/webhook_endpoints/${endpoint.id}` });
    expect(deleted.json()).toEqual({ id: endpoint.id, object: 'webhook_endpoint', deleted: true });
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/webhook_endpoints/${endpoint.id}` }),
      404,
      'resource_not_found',
    );
    expectProblem(
      await t.request({ method: 'DELETE', url: `/v1/webhook_endpoints/${endpoint.id}` }),
      404,
      'resource_not_found',
    );
    expect(await eventTypes(endpoint.id)).toEqual(['webhook_endpoint.created', 'webhook_endpoint.deleted']);
  });

  it('lets only a key that reads events choose where events go: create, update and replay need events:read (second attack, F6)', async () => {
    const keyWith = async (scopes: string[]) => {
      const key = await t.request({
        method: 'POST',
        url: '/v1/api_keys',
        payload: { name: 'hooks', scopes },
      });
      expect(key.statusCode, key.body).toBe(201);
      return key.json().secret as string;
    };
    const writer = await keyWith(['webhook_endpoints:write']);
    const reader = await keyWith(['webhook_endpoints:*', 'events:read']);
    const payload = { url: hook, enabled_events: ['holder.created', 'api_key.created'] };
    expectProblem(await create(payload, writer), 403, 'insufficient_scope', 'events:read');
    expectProblem(
      await create({ url: hook, enabled_events: ['*'] }, writer),
      403,
      'insufficient_scope',
      'events:read',
    );
    const before = await t.request({ method: 'GET', url: '/v1/webhook_endpoints?limit=100' });

    const allowed = await create(payload, reader);
    expect(allowed.statusCode, allowed.body).toBe(201);
    const id = allowed.json<Endpoint>().id;
    expect(
      (await t.request({ method: 'GET', url: '/v1/webhook_endpoints?limit=100' })).json().data,
    ).toHaveLength(before.json().data.length + 1);
    const update = { method: 'POST' as const, url: `/v1/webhook_endpoints/${id}` };
    const redirect = { url: 'http://localhost:4001/mine', enabled_events: ['*'] };
    expectProblem(
      await t.request({ ...update, payload: redirect, key: writer }),
      403,
      'insufficient_scope',
      'events:read',
    );
    const replay = { method: 'POST' as const, url: `/v1/webhook_endpoints/${id}/replay` };
    const since = { since: '2020-01-01T00:00:00Z' };
    expectProblem(
      await t.request({ ...replay, payload: since, key: writer }),
      403,
      'insufficient_scope',
      'events:read',
    );
    expect((await t.request({ ...update, payload: redirect, key: reader })).statusCode).toBe(200);
    expect((await t.request({ ...replay, payload: since, key: reader })).statusCode).toBe(200);
    // Neither sends events anywhere: a key that may not read them can still rotate and delete.
    const rotated = await t.request({
      method: 'POST',
      url: `/v1/webhook_endpoints/${id}/rotate_secret`,
      payload: {},
      key: writer,
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const deleted = await t.request({ method: 'DELETE', url: `/v1/webhook_endpoints/${id}`, key: writer });
    expect(deleted.statusCode, deleted.body).toBe(200);
  });

  it('limits endpoints per mode', async () => {
    for (let i = 0; i < 3; i += 1) await created({ url: `${hook}/${i}`, enabled_events: ['*'] });
    expectProblem(await create({ url: hook, enabled_events: ['*'] }), 409, 'webhook_endpoint_limit_reached');
    const live = await create({ url: 'https://93.184.216.34/hooks', enabled_events: ['*'] }, t.live_key);
    expect(live.statusCode, live.body).toBe(201);
  });

  it('needs webhook_endpoints scopes', async () => {
    const key = await t.request({
      method: 'POST',
      url: '/v1/api_keys',
      payload: { name: 'r', scopes: ['webhook_endpoints:read'] },
    });
    const reader = key.json().secret as string;
    expect((await t.request({ method: 'GET', url: '/v1/webhook_endpoints', key: reader })).statusCode).toBe(
      200,
    );
    expectProblem(
      await create({ url: hook, enabled_events: ['*'] }, reader),
      403,
      'insufficient_scope',
      'webhook_endpoints:write',
    );
  });
});

describe('deleting an endpoint while its deliveries are being sent', () => {
  let d: TestApp;
  let receiver: Receiver;
  beforeAll(async () => {
    d = await createTestApp({}, {}, {}, { deliveries_in_flight_max: 16 });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await d.close();
  });

  it('never deadlocks with the worker recording attempts: every delete answers 200', async () => {
    // Failures make the worker update the endpoint's health after each attempt it records.
    receiver.answer(() => ({ status: 500 }));
    for (let i = 0; i < 8; i += 1) {
      const holder = await d.request({ method: 'POST', url: '/v1/holders', payload: { name: `h${i}` } });
      expect(holder.statusCode).toBe(201);
    }
    await sequenceEvents(d.db.pool, 1_000, systemClock.now());
    const events = (
      await d.db.pool.query<SequencedEvent>(
        'SELECT id, livemode, type, object_id, position FROM events WHERE position IS NOT NULL AND NOT livemode',
      )
    ).rows;
    const failures: unknown[] = [];
    const log = { error: (obj: object) => failures.push(obj) };
    const runner = new DeliveryRunner({
      pool: d.db.pool,
      clock: systemClock,
      config: d.config.webhooks,
      log,
    });
    const statuses: number[] = [];
    try {
      for (let round = 0; round < 60; round += 1) {
        const endpoint = await d.request({
          method: 'POST',
          url: '/v1/webhook_endpoints',
          payload: { url: receiver.url, enabled_events: ['*'] },
        });
        const id = endpoint.json<{ id: string }>().id;
        await queueDeliveries(d.db.pool, events, systemClock.now(), { endpoint_id: id, replay: true });
        const sending = runner.poll();
        // Delete while the attempts are in flight and being recorded.
        await new Promise((resolve) => setTimeout(resolve, round % 10));
        const deleted = await d.request({ method: 'DELETE', url: `/v1/webhook_endpoints/${id}` });
        statuses.push(deleted.statusCode);
        await sending;
      }
      await runner.stop();
    } finally {
      await runner.stop();
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(failures).toEqual([]);
    // The deliveries went with their endpoints.
    const left = await d.db.pool.query('SELECT 1 FROM webhook_deliveries');
    expect(left.rowCount).toBe(0);
  }, 120_000);
});
