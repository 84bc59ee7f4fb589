import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';

const headers_timeout_ms = 500;
const request_timeout_ms = 1_000;
/** The timeout, plus Node's check interval (1 s), plus slack for a loaded machine. */
const cut_within_ms = 4_000;

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp({ headers_timeout_ms, request_timeout_ms });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  t.app.server.closeAllConnections();
  await t.close();
});

/** Opens a raw socket and resolves, with how long it lived, once the server closes it. */
function slowClient(trickle: (socket: Socket, tick: number) => void): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let tick = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed) trickle(socket, tick++);
    }, 100);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    });
    // Never past the test's own timeout: a socket still open after 20 s counts as 20 s.
    setTimeout(() => socket.destroy(), 20_000).unref();
  });
}

describe('slow clients', () => {
  it('closes a socket whose headers trickle in, after headers_timeout_ms', async () => {
    const lived_ms = await slowClient((socket, tick) =>
      socket.write(tick === 0 ? 'GET /healthz HTTP/1.1\r\nHost: x\r\n' : `x-slow-${tick}: y\r\n`),
    );
    expect(lived_ms).toBeLessThan(cut_within_ms);
  });

  it('closes a socket that connects and says nothing, after headers_timeout_ms', async () => {
    expect(await slowClient(() => undefined)).toBeLessThan(cut_within_ms);
  });

  it('closes a socket whose body trickles in, after request_timeout_ms', async () => {
    const lived_ms = await slowClient((socket, tick) =>
      socket.write(
        tick === 0
          ? 'POST /v1/holders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{'
          : ' ',
      ),
    );
    expect(lived_ms).toBeGreaterThanOrEqual(request_timeout_ms);
    expect(lived_ms).toBeLessThan(cut_within_ms);
  });

  it('keeps an event stream open well past both timeouts', async () => {
    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/v1/events/stream`, {
      headers: { authorization: `Bearer ${t.test_key}` },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    let ended = false;
    const reading = (async () => {
      try {
        for await (const _chunk of response.body ?? []);
      } catch {
        // Aborted below.
      }
      ended = true;
    })();
    await new Promise((resolve) => setTimeout(resolve, cut_within_ms + 1_000));
    expect(ended).toBe(false);
    abort.abort();
    await reading;
  }, 15_000);
});
