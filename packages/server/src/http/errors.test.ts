import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ body_bytes_max: 1024 });
});
afterAll(() => t.close());

async function holderCount(): Promise<number> {
  const result = await t.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM holders');
  return result.rows[0]?.n ?? -1;
}

/** Checks the RFC 9457 shape every error shares, and returns the body. */
function expectProblem(
  response: LightMyRequestResponse,
  status: number,
  code: string,
): Record<string, unknown> {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json<Record<string, unknown>>();
  expect(body).toEqual({
    type: `urn:purse:problem:${code}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
    request_id: response.headers['request-id'],
    ...('param' in body ? { param: expect.any(String) } : {}),
  });
  expect(body.request_id).toMatch(/^req_[0-9a-z]{26}$/);
  expect(response.body).not.toMatch(/\bat .+[(:]\d+|\.[cm]?[jt]s:\d+|node_modules|stack|FST_ERR|Error:/i);
  return body;
}

const json = { 'content-type': 'application/json' };

/** POST /v1/holders that must be refused; checks that no holder was written. */
async function refusedPost(options: Omit<InjectOptions, 'method' | 'url'>, status: number, code: string) {
  const before = await holderCount();
  const body = expectProblem(
    await t.request({ method: 'POST', url: '/v1/holders', ...options }),
    status,
    code,
  );
  expect(await holderCount()).toBe(before);
  return body;
}

describe('problem documents', () => {
  it('malformed JSON: 400 invalid_json', async () => {
    await refusedPost({ payload: '{"name": "Ada",', headers: json }, 400, 'invalid_json');
    await refusedPost({ payload: "{'name': 'Ada'}", headers: json }, 400, 'invalid_json');
  });

  it('wrong types: 400 invalid_request naming the field', async () => {
    expect((await refusedPost({ payload: { name: 5 } }, 400, 'invalid_request')).param).toBe('name');
    expect((await refusedPost({ payload: { metadata: { a: 1 } } }, 400, 'invalid_request')).param).toBe(
      'metadata.a',
    );
    expect(
      (await refusedPost({ payload: '[1, 2]', headers: json }, 400, 'invalid_request')).param,
    ).toBeUndefined();
  });

  it('unknown field: 400 naming the field', async () => {
    const body = await refusedPost(
      { payload: { name: 'Ada', favourite_colour: 'red' } },
      400,
      'invalid_request',
    );
    expect(body.param).toBe('favourite_colour');
  });

  it('body over the limit: 413 body_too_large', async () => {
    const payload = JSON.stringify({ name: 'Ada', metadata: { note: 'x'.repeat(2048) } });
    await refusedPost({ payload, headers: json }, 413, 'body_too_large');
  });

  it.each(['application/xml', 'text/plain', 'application/x-www-form-urlencoded'])(
    'non-JSON content type %s: 415 unsupported_media_type',
    async (type) => {
      await refusedPost(
        { payload: 'name=Ada', headers: { 'content-type': type } },
        415,
        'unsupported_media_type',
      );
    },
  );

  it('unknown route: 404 route_not_found', async () => {
    expectProblem(await t.request({ method: 'GET', url: '/v1/nothing_here' }), 404, 'route_not_found');
    expectProblem(await t.request({ method: 'GET', url: '/nowhere?x=1', key: null }), 404, 'route_not_found');
  });

  it('unknown id: 404 resource_not_found', async () => {
    const response = await t.request({ method: 'GET', url: '/v1/holders/hol_01jd0w3n3w8m5t5vq6fz1y2k3h' });
    expectProblem(response, 404, 'resource_not_found');
  });

  it('authentication failure: 401 with the same shape', async () => {
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/holders', key: null }),
      401,
      'authentication_required',
    );
  });
});

describe('headers on every response', () => {
  const cases: [string, InjectOptions & { key?: string | null }][] = [
    ['200', { method: 'GET', url: '/v1/holders' }],
    ['201', { method: 'POST', url: '/v1/holders', payload: { name: 'Ada' } }],
    ['400', { method: 'POST', url: '/v1/holders', payload: { name: 5 } }],
    ['401', { method: 'GET', url: '/v1/holders', key: null }],
    ['404 route', { method: 'GET', url: '/v1/nothing_here', key: null }],
    ['404 id', { method: 'GET', url: '/v1/holders/hol_01jd0w3n3w8m5t5vq6fz1y2k3h' }],
    ['413', { method: 'POST', url: '/v1/holders', payload: 'x'.repeat(2048), headers: json }],
    ['healthz', { method: 'GET', url: '/healthz', key: null }],
  ];

  it.each(cases)('%s carries request-id and security headers', async (_name, options) => {
    const response = await t.request(options);
    expect(response.headers['request-id']).toMatch(/^req_[0-9a-z]{26}$/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    // helmet's defaults, computed once at start-up (http/security.ts).
    expect(response.headers['content-security-policy']).toMatch(/^default-src 'self';/);
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
  });

  it('gives each request its own id', async () => {
    const a = await t.request({ method: 'GET', url: '/v1/holders' });
    const b = await t.request({ method: 'GET', url: '/v1/holders' });
    expect(a.headers['request-id']).not.toBe(b.headers['request-id']);
  });
});
