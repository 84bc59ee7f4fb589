import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Purse } from '../src/index.js';
import { FakeServer } from './fake-server.js';

let fake: FakeServer & { readonly base_url: string };
beforeAll(async () => {
  fake = await FakeServer.start();
});
afterAll(() => fake.close());

describe('a browser session instead of a key', () => {
  it('sends no Authorization, the mode on every call and the CSRF token on a POST only', async () => {
    const purse = Purse.forBrowserSession({ csrf_token: 'csrf_1', mode: 'live' }, { baseUrl: fake.base_url });
    fake.answers({ status: 200 });
    await purse.wallets.retrieve('wal_1');
    await purse.wallets.freeze('wal_1');
    const [read, write] = fake.seen;
    expect(read?.headers.authorization).toBeUndefined();
    expect(read?.headers['purse-mode']).toBe('live');
    expect(read?.headers['x-csrf-token']).toBeUndefined();
    expect(write?.headers.authorization).toBeUndefined();
    expect(write?.headers['x-csrf-token']).toBe('csrf_1');
    expect(write?.headers['purse-mode']).toBe('live');
    expect(write?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves the key mode as it was: the key, and neither session header', async () => {
    const purse = new Purse('sk_test_fake', { baseUrl: fake.base_url });
    fake.answers({ status: 200 });
    await purse.wallets.freeze('wal_1');
    expect(fake.seen[0]?.headers.authorization).toBe('Bearer sk_test_fake');
    expect(fake.seen[0]?.headers['x-csrf-token']).toBeUndefined();
    expect(fake.seen[0]?.headers['purse-mode']).toBeUndefined();
  });

  it('still refuses a client without a key, and a session without its token or with another mode', () => {
    expect(() => new Purse('')).toThrow(TypeError);
    expect(() => Purse.forBrowserSession({ csrf_token: '', mode: 'test' })).toThrow(TypeError);
    expect(() => Purse.forBrowserSession({ csrf_token: 't', mode: 'staging' as 'test' })).toThrow(TypeError);
  });

  it('calls an endpoint newer than the client with rawRequest', async () => {
    const purse = Purse.forBrowserSession({ csrf_token: 'csrf_1', mode: 'test' }, { baseUrl: fake.base_url });
    fake.answers({ status: 200, body: { object: 'list', data: [], has_more: false } });
    const body = await purse.rawRequest('GET', '/v1/search', { query: { q: 'ada@example.com' } });
    expect(body).toEqual({ object: 'list', data: [], has_more: false });
    expect(fake.seen[0]?.url).toBe('/v1/search?q=ada%40example.com');
  });
});
