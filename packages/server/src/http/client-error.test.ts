import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';

const headers_timeout_ms = 500;
const request_timeout_ms = 1_000;

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

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `parts` to a raw socket, `gap_ms` apart (the last one is followed by silence), and reads
 * the answer until the server closes the connection.
 */
function exchange(parts: readonly (string | Buffer)[], gap_ms = 0): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [status_line = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ status: Number(status_line.split(' ')[1]), headers, body });
    });
    parts.forEach((part, index) => {
      setTimeout(() => socket.write(part), index * gap_ms);
    });
    // Never past the test's own timeout.
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
}

function expectRawProblem(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(answer.headers.connection).toBe('close');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  const body = JSON.parse(answer.body);
  expect(body).toMatchObject({ type: `urn:purse:problem:${code}`, status, code });
  expect(body.title).toEqual(expect.any(String));
  expect(body.detail).toEqual(expect.any(String));
  expect(body.request_id).toMatch(/^req_/);
  expect(answer.headers['request-id']).toBe(body.request_id);
}

describe("what Node's HTTP layer refuses is answered as a problem (second attack, L2)", () => {
  it('a NUL or a DEL byte in a header value is 400 malformed_request', async () => {
    for (const byte of ['\x00', '\x7f']) {
      const request = Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a${byte}b\r\n\r\n`, 'latin1');
      expectRawProblem(await exchange([request]), 400, 'malformed_request');
    }
  });

  it('a malformed request line or chunked body is 400 malformed_request', async () => {
    expectRawProblem(await exchange(['GARBAGE\r\n\r\n']), 400, 'malformed_request');
    const chunked =
      'POST /v1/holders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n';
    expectRawProblem(await exchange([chunked]), 400, 'malformed_request');
  });

  it('headers larger than Node accepts are 431 headers_too_large', async () => {
    const big = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    expectRawProblem(await exchange([big]), 431, 'headers_too_large');
  });

  it('slow headers are 408 request_timeout after headers_timeout_ms', async () => {
    const started = Date.now();
    const answer = await exchange(['GET /healthz HTTP/1.1\r\n', 'Host: x\r\n', 'X-Slow: 1\r\n'], 200);
    expectRawProblem(answer, 408, 'request_timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(headers_timeout_ms);
  });

  it('a slow body is 408 request_timeout after request_timeout_ms', async () => {
    // With a valid key, so the route waits for the body instead of refusing the request first.
    const head = `POST /v1/holders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.test_key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`;
    const started = Date.now();
    const answer = await exchange([head, ' ', ' ', ' '], 200);
    expectRawProblem(answer, 408, 'request_timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(request_timeout_ms);
  });
});
