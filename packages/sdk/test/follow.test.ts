import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequenceEvents } from '../../server/src/events/sequencer.js';
import { systemClock } from '../../server/src/shared/clock.js';
import { AuthenticationError, type Event, InvalidRequestError, Purse } from '../src/index.js';
import { type LiveServer, startServer } from './server.js';

/** A TCP proxy in front of the server that can cut every open connection, as a restart or a network fault would. */
interface Proxy {
  readonly base_url: string;
  /** Connections made through it so far. */
  connections(): number;
  /** Bytes the server has sent back through it so far. */
  received(): number;
  dropAll(): void;
  close(): Promise<void>;
}

async function startProxy(target: URL): Promise<Proxy> {
  const open = new Set<Socket>();
  let count = 0;
  let received = 0;
  const server: Server = createServer((client) => {
    count += 1;
    const upstream = createConnection(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    upstream.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base_url: `http://127.0.0.1:${port}`,
    connections: () => count,
    received: () => received,
    dropAll: () => {
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let server: LiveServer;
let proxy: Proxy;
let sequencer: NodeJS.Timeout;
const sequenced = new Set<string>();
beforeAll(async () => {
  server = await startServer();
  proxy = await startProxy(new URL(server.base_url));
  // The worker's sequencer, which gives events the positions the stream follows.
  sequencer = setInterval(
    () =>
      void sequenceEvents(server.t.db.pool, 1_000, systemClock.now())
        .then(() =>
          server.t.db.pool.query<{ id: string }>('SELECT id FROM events WHERE position IS NOT NULL'),
        )
        .then((result) => {
          for (const row of result.rows) sequenced.add(row.id);
        })
        .catch(() => undefined),
    50,
  );
});
afterAll(async () => {
  clearInterval(sequencer);
  await proxy.close();
  // Refused streams leave keep-alive connections that the server's close() waited on for a minute.
  server.t.app.server.closeAllConnections();
  await server.close();
});

/** Collects events from an iterator in the background until `count` have arrived. */
function collect(events: AsyncIterable<Event>, count: number): { seen: Event[]; done: Promise<Event[]> } {
  const seen: Event[] = [];
  const done = (async () => {
    for await (const event of events) {
      seen.push(event);
      if (seen.length >= count) break;
    }
    return seen;
  })();
  return { seen, done };
}

async function until(condition: () => boolean, timeout_ms = 15_000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('events.follow', () => {
  it('yields live events, and after the server drops the stream resumes from the last one with no gap and no repeat', async () => {
    const purse = new Purse(server.t.test_key, { baseUrl: proxy.base_url });
    const admin = server.client();
    const controller = new AbortController();
    const { seen, done } = collect(purse.events.follow({ type: 'holder.*', signal: controller.signal }), 6);
    // The stream is open (its start position taken) once the server has sent its first bytes.
    await until(() => proxy.received() > 0);
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const name of names.slice(0, 3)) await admin.holders.create({ name });
    await until(() => seen.length === 3);
    proxy.dropAll();
    // Made while no stream is connected: the reconnect must still deliver them, once each.
    for (const name of names.slice(3)) await admin.holders.create({ name });
    const events = await done;
    expect(proxy.connections()).toBeGreaterThanOrEqual(2);
    expect(events.map((event) => event.data.object.name)).toEqual(names);
    expect(new Set(events.map((event) => event.id)).size).toBe(6);
    controller.abort();
  });

  it('starts after a given event id', async () => {
    const admin = server.client();
    const first = await admin.holders.create({ name: 'first' });
    await admin.holders.create({ name: 'second' });
    const [created] = (await admin.events.list({ object_id: first.id, type: 'holder.created' })).data;
    if (created === undefined) throw new Error('no event');
    // `after` must be an event the stream can have sent: one the sequencer has ordered.
    await until(() => sequenced.has(created.id));
    const { done } = collect(server.client().events.follow({ after: created.id, type: 'holder.created' }), 1);
    const [next] = await done;
    expect(next?.data.object.name).toBe('second');
  });

  it('ends when the signal aborts', async () => {
    const controller = new AbortController();
    const iteration = collect(server.client().events.follow({ signal: controller.signal }), 1_000).done;
    setTimeout(() => controller.abort(), 300);
    expect(await iteration).toEqual([]);
  });

  it('throws what reconnecting cannot fix: a bad key, an unknown starting event', async () => {
    const bad_key = collect(server.client({ key: 'sk_test_nope' }).events.follow(), 1).done;
    await expect(bad_key).rejects.toBeInstanceOf(AuthenticationError);
    const unknown = collect(
      server.client().events.follow({ after: 'evt_00000000000000000000000000' }),
      1,
    ).done;
    await expect(unknown).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(unknown).rejects.toMatchObject({ code: 'invalid_cursor', param: 'Last-Event-ID' });
  });
});
