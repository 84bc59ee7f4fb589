import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { startSequencer } from '../test-support/sequencer.js';
import type { Worker } from '../worker/scheduler.js';

let t: TestApp;
let base: string;
let worker: Worker;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  worker = startSequencer(t);
  // The set-up's own events (the test keys) are sequenced before any stream starts, so no test
  // sees them as new.
  const unsequenced = () => t.db.pool.query('SELECT 1 FROM events WHERE position IS NULL LIMIT 1');
  while ((await unsequenced()).rowCount !== 0) await new Promise((resolve) => setTimeout(resolve, 20));
});
afterAll(async () => {
  await worker.stop();
  // fetch leaves idle keep-alive sockets that the server would otherwise wait out.
  t.app.server.closeAllConnections();
  await t.close();
});

interface Message {
  id: string;
  event: string;
  data: { id: string; type: string; data: { object: { id: string; name?: string } } };
}

/** A live SSE connection that collects messages as they arrive. */
async function connect(query = '', last_event_id?: string, key = t.test_key) {
  const abort = new AbortController();
  const response = await fetch(`${base}/v1/events/stream${query}`, {
    headers: {
      authorization: `Bearer ${key}`,
      accept: 'text/event-stream',
      ...(last_event_id === undefined ? {} : { 'last-event-id': last_event_id }),
    },
    signal: abort.signal,
  });
  const messages: Message[] = [];
  let buffer = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body ?? []) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            frame
              .split('\n')
              .filter((line) => !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
          );
          if (fields.data !== undefined)
            messages.push({ id: fields.id ?? '', event: fields.event ?? '', data: JSON.parse(fields.data) });
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by the test.
    }
  })();
  return {
    response,
    messages,
    /** Whether the server ends the stream within `timeout_ms`. */
    async endsWithin(timeout_ms: number): Promise<boolean> {
      const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeout_ms));
      return Promise.race([reading.then(() => true), timer]);
    },
    async waitFor(count: number, timeout_ms = 10_000) {
      const deadline = Date.now() + timeout_ms;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`got ${messages.length} of ${count} messages`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return messages.slice(0, count);
    },
    async close() {
      abort.abort();
      await reading;
    },
  };
}

async function holder(name: string): Promise<string> {
  const response = await t.request({ method: 'POST', url: '/v1/holders', payload: { name } });
  expect(response.statusCode).toBe(201);
  return response.json().id;
}

describe('GET /v1/events/stream', () => {
  it('streams each new event as it commits: id, type and the event', async () => {
    const stream = await connect();
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers.get('request-id')).toMatch(/^req_/);
    // The reply is hijacked; the headers the hooks set (security headers among them) still apply.
    expect(stream.response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(stream.response.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
    const ids = [await holder('One'), await holder('Two'), await holder('Three')];
    const messages = await stream.waitFor(3);
    expect(messages.map((message) => message.data.data.object.id)).toEqual(ids);
    for (const message of messages) {
      expect(message.event).toBe('holder.created');
      expect(message.data.id).toBe(message.id);
      const stored = await t.request({ method: 'GET', url: `/v1/events/${message.id}` });
      expect(message.data).toEqual(stored.json());
    }
    await stream.close();
  });

  it('resumes from Last-Event-ID with no gap and no repeat', async () => {
    const first = await connect();
    const before = [];
    for (let i = 0; i < 10; i += 1) before.push(await holder(`Before ${i}`));
    const seen = await first.waitFor(5);
    await first.close();
    const during = [];
    for (let i = 0; i < 5; i += 1) during.push(await holder(`During ${i}`));
    const resumed = await connect('', seen[4]?.id);
    const after = await holder('After');
    const rest = await resumed.waitFor(11);
    expect(rest.map((message) => message.data.data.object.id)).toEqual([
      ...before.slice(5),
      ...during,
      after,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resumed.messages).toHaveLength(11);
    await resumed.close();
  });

  it('filters by type pattern', async () => {
    const stream = await connect('?type=wallet.*');
    await holder('Not a wallet');
    const wallet = await t.request({ method: 'POST', url: '/v1/wallets', payload: { currency: 'USD' } });
    await t.request({ method: 'POST', url: `/v1/wallets/${wallet.json().id}/freeze` });
    const messages = await stream.waitFor(2);
    expect(messages.map((message) => message.event)).toEqual(['wallet.created', 'wallet.frozen']);
    await stream.close();
  });

  it('refuses an unknown Last-Event-ID, an unknown type and a key without events:read, as problems', async () => {
    const problem = async (response: Response) => ({
      status: response.status,
      code: ((await response.json()) as { code: string }).code,
    });
    const headers = { authorization: `Bearer ${t.test_key}` };
    expect(
      await problem(
        await fetch(`${base}/v1/events/stream`, { headers: { ...headers, 'last-event-id': 'evt_nope' } }),
      ),
    ).toEqual({
      status: 400,
      code: 'invalid_cursor',
    });
    expect(await problem(await fetch(`${base}/v1/events/stream?type=nope.*`, { headers }))).toEqual({
      status: 400,
      code: 'unknown_event_type',
    });
    const key = await t.request({
      method: 'POST',
      url: '/v1/api_keys',
      payload: { name: 'w', scopes: ['wallets:read'] },
    });
    const limited = { authorization: `Bearer ${key.json().secret}` };
    expect(await problem(await fetch(`${base}/v1/events/stream`, { headers: limited }))).toEqual({
      status: 403,
      code: 'insufficient_scope',
    });
  });

  it("shows only the key's mode", async () => {
    const live_stream = await connect('', undefined, t.live_key);
    const test_stream = await connect();
    await holder('Test only');
    await test_stream.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(live_stream.messages).toEqual([]);
    await live_stream.close();
    await test_stream.close();
  });

  it('limits open streams per key, so one key cannot take every stream of the server from the others', async () => {
    const per_key_max = t.config.events.streams_per_key_max;
    expect(per_key_max).toBeLessThan(t.config.events.streams_max);
    const reader = async (name: string) => {
      const key = await t.request({
        method: 'POST',
        url: '/v1/api_keys',
        payload: { name, scopes: ['events:read'] },
      });
      return key.json().secret as string;
    };
    const hog_key = await reader('hog');
    // Opened at once, so each start's check runs before any earlier one is streaming.
    const hog = await Promise.all(
      Array.from({ length: per_key_max + 3 }, () => connect('', undefined, hog_key)),
    );
    const statuses = hog.map((stream) => stream.response.status).sort();
    expect(statuses).toEqual([
      ...Array.from({ length: per_key_max }, () => 200),
      ...Array.from({ length: 3 }, () => 429),
    ]);
    const refused = hog.find((stream) => stream.response.status === 429);
    expect(refused?.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const other = await connect('', undefined, await reader('other'));
    expect(other.response.status).toBe(200);
    await Promise.all([...hog, other].map((stream) => stream.close()));
    // A closed stream gives its place back.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const again = await connect('', undefined, hog_key);
    expect(again.response.status).toBe(200);
    await again.close();
  });

  it('ends a stream once its key is revoked, rolled past its grace period or expired; other streams go on', async () => {
    const reader = async (name: string, expires_at?: string) => {
      const key = await t.request({
        method: 'POST',
        url: '/v1/api_keys',
        payload: { name, scopes: ['events:read'], ...(expires_at === undefined ? {} : { expires_at }) },
      });
      expect(key.statusCode, key.body).toBe(201);
      return key.json() as { id: string; secret: string };
    };
    const [revoked, rolled, graced, expiring, other] = await Promise.all([
      reader('revoked'),
      reader('rolled'),
      reader('graced'),
      reader('expiring', new Date(t.clock.now().getTime() + 3_600_000).toISOString()),
      reader('other'),
    ]);
    const streams = await Promise.all(
      [revoked, rolled, graced, expiring, other].map((key) =>
        connect('?type=holder.*', undefined, key.secret),
      ),
    );
    const [revoked_stream, rolled_stream, graced_stream, expiring_stream, other_stream] = streams;
    for (const stream of streams) expect(stream.response.status).toBe(200);
    const poll_ms = t.config.events.stream_poll_ms;
    // A stream that must end is given time to, however loaded the machine (it resolves as soon as it
    // does); one that must go on is watched for four polls.
    const ends_ms = 10_000;

    await t.request({ method: 'POST', url: `/v1/api_keys/${revoked.id}/revoke` });
    expect(await revoked_stream?.endsWithin(ends_ms)).toBe(true);
    await t.request({
      method: 'POST',
      url: `/v1/api_keys/${rolled.id}/roll`,
      payload: { grace_period_s: 0 },
    });
    expect(await rolled_stream?.endsWithin(ends_ms)).toBe(true);

    // The old secret works during its grace period, and no longer after it.
    await t.request({
      method: 'POST',
      url: `/v1/api_keys/${graced.id}/roll`,
      payload: { grace_period_s: 60 },
    });
    expect(await graced_stream?.endsWithin(poll_ms * 4)).toBe(false);
    t.clock.advance(61_000);
    expect(await graced_stream?.endsWithin(ends_ms)).toBe(true);
    expect(await expiring_stream?.endsWithin(poll_ms * 4)).toBe(false);
    t.clock.advance(3_600_000);
    expect(await expiring_stream?.endsWithin(ends_ms)).toBe(true);

    const id = await holder('Seen by the valid key only');
    expect((await other_stream?.waitFor(1))?.map((message) => message.data.data.object.id)).toEqual([id]);
    for (const stream of streams) await stream.close();
  });

  it('ends a stream whose key another process revoked, within the key cache TTL', async () => {
    const key = await t.request({
      method: 'POST',
      url: '/v1/api_keys',
      payload: { name: 'elsewhere', scopes: ['events:read'] },
    });
    const stream = await connect('', undefined, key.json().secret);
    expect(stream.response.status).toBe(200);
    // Another process revokes it: this one's cache is not told, and learns it when its entry expires.
    await t.db.pool.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1', [
      key.json().id,
      t.clock.now(),
    ]);
    const bound_ms = t.config.limits.api_key_cache_ttl_ms + t.config.events.stream_poll_ms * 4;
    expect(await stream.endsWithin(bound_ms)).toBe(true);
    await stream.close();
  });

  it('ends open streams when the server closes, without waiting for clients', async () => {
    // An app of its own: earlier tests' clients leave idle sockets that would blur what is measured.
    const own = await createTestApp();
    await own.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(own.app.server.address() as AddressInfo).port}/v1/events/stream`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${own.test_key}` } });
    expect(response.status).toBe(200);
    const started = Date.now();
    await own.app.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    await own.close();
  });
});
