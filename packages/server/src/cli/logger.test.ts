import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { startBanner } from './banner.js';
import { createLogger } from './logger.js';
import { prettyDestination } from './pretty-log.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

function capture(): { stream: Writable; text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('logs', () => {
  it('redact secrets wherever they appear', () => {
    const out = capture();
    const log = createLogger({ ...t.config, log_level: 'debug' }, out.stream);
    log.info({ req: { headers: { authorization: 'Bearer sk_test_leak1' } } }, 'request');
    log.info(
      { key: { secret: 'sk_test_leak2' }, response: { body: { secret: 'sk_test_leak3' } } },
      'created',
    );
    log.info({ secret: 'sk_test_leak4', headers: { authorization: 'Bearer sk_test_leak5' } }, 'flat');
    expect(out.text()).toContain('[redacted]');
    expect(out.text()).not.toMatch(/sk_test_leak/);
  });

  it('never carry a key or a created secret while the API serves requests, errors included', async () => {
    const out = capture();
    const logger = createLogger({ ...t.config, log_level: 'trace' }, out.stream);
    const app = await buildApp({ pool: t.db.pool, config: t.config, clock: t.clock, logger });
    try {
      const headers = { authorization: `Bearer ${t.test_key}` };
      const created = await app.inject({
        method: 'POST',
        url: '/v1/api_keys',
        headers,
        payload: { name: 'logged?' },
      });
      const secret = created.json().secret as string;
      await app.inject({ method: 'GET', url: '/v1/holders', headers: { authorization: `Bearer ${secret}` } });
      await app.inject({
        method: 'POST',
        url: '/v1/holders',
        headers: { authorization: 'Bearer sk_test_wrong_but_long_enough_0000' },
        payload: {},
      });
      expect(out.text().length).toBeGreaterThan(0);
      expect(out.text()).not.toContain(t.test_key);
      expect(out.text()).not.toContain(secret);
      expect(out.text()).not.toContain('sk_test_wrong');
    } finally {
      await app.close();
    }
  });

  it('never carry a name, an email, a card or an account number, at any level, errors included', async () => {
    const out = capture();
    const logger = createLogger({ ...t.config, log_level: 'trace' }, out.stream);
    const app = await buildApp({ pool: t.db.pool, config: t.config, clock: t.clock, logger });
    const leaks = [
      'Logged Lovelace',
      'logged.lovelace@example.org',
      '4242424242424242',
      '000123456789',
      '4000000000000119',
    ];
    try {
      const send = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
        app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${t.test_key}` },
          ...(payload ? { payload } : {}),
        });
      const holder = (await send('POST', '/v1/holders', { name: leaks[0], email: leaks[1] })).json();
      await send('GET', `/v1/holders?email=${encodeURIComponent(leaks[1] ?? '')}`);
      await send('GET', `/v1/holders/${holder.id}`);
      const wallet = (await send('POST', '/v1/wallets', { currency: 'USD', holder_id: holder.id })).json();
      const card = { type: 'card', number: leaks[2] };
      await send('POST', '/v1/payments', {
        wallet_id: wallet.id,
        amount: '20.00',
        currency: 'USD',
        source: card,
      });
      // Refused ones too: an unknown test card, a malformed source.
      await send('POST', '/v1/payments', {
        wallet_id: wallet.id,
        amount: '20.00',
        currency: 'USD',
        source: { type: 'card', number: leaks[4] },
      });
      await send('POST', '/v1/payments', {
        wallet_id: wallet.id,
        amount: '20.00',
        currency: 'USD',
        source: { type: 'card', number: leaks[2], name: leaks[0] },
      });
      await send('POST', '/v1/payouts', {
        wallet_id: wallet.id,
        amount: '5.00',
        currency: 'USD',
        destination: {
          type: 'bank_account',
          account_holder_name: leaks[0],
          account_number: leaks[3],
          routing_number: '110000000',
        },
      });
      expect(out.text()).toContain('incoming request');
      for (const leak of leaks) expect(out.text()).not.toContain(leak);
      // Nor encoded, as a query string carries it.
      expect(out.text()).not.toContain('logged.lovelace');
    } finally {
      await app.close();
    }
  });

  it('on a terminal are one human line each, redacted as the JSON ones', () => {
    const out = capture();
    const log = createLogger({ ...t.config, log_level: 'info' }, prettyDestination(out.stream));
    log.info({ port: 8080, key: { secret: 'sk_test_leak6' } }, 'listening');
    expect(out.text()).toMatch(
      /^\d\d:\d\d:\d\d INFO {2}listening port=8080 key=\{"secret":"\[redacted\]"\}\n$/,
    );
  });
});

describe('the start banner', () => {
  it('frames the address, the key shown once and the embedded database URL', () => {
    const banner = startBanner({
      api_url: 'http://localhost:8080',
      admin_secret: 'sk_test_abc',
      database_url: 'postgres://purse_app:pw@127.0.0.1:54329/purse',
    });
    expect(banner).toContain('| Test-mode admin API key: sk_test_abc');
    expect(banner).toContain('DATABASE_URL=postgres://purse_app:pw@127.0.0.1:54329/purse');
    const widths = new Set(
      banner
        .trim()
        .split('\n')
        .map((line) => line.length),
    );
    expect(widths.size).toBe(1);
    expect(
      startBanner({ api_url: 'http://h:1', admin_secret: undefined, database_url: undefined }),
    ).not.toContain('API key');
  });
});
