import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { retryDelayMs } from './retry.js';
import { excerptKept, sanitizedExcerpt } from './send.js';
import { AddressPolicy, checkUrlAddresses, checkUrlShape, literalAddress } from './url-guard.js';

describe('address policy (SSRF)', () => {
  const live = new AddressPolicy(true);

  it('refuses loopback, private, link-local, shared, multicast and unspecified addresses, in every IPv6 form', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
    ]) {
      expect(live.permits(address), address).toBe(false);
    }
  });

  it('refuses every IPv6 form that leads back to a private IPv4, and the reserved IPv6 ranges', () => {
    for (const address of [
      '::127.0.0.1', // IPv4-compatible, deprecated: refused whatever it embeds
      '::8.8.8.8',
      '::ffff:0:127.0.0.1', // SIIT
      '64:ff9b::127.0.0.1', // NAT64
      '64:ff9b:1::5db8:d822', // local-use NAT64
      '2002:7f00:1::', // 6to4 of 127.0.0.1
      '2002:a00:1::1', // 6to4 of 10.0.0.1
      '2002:a9fe:a9fe::1', // 6to4 of 169.254.169.254
      '2001:0:7f00:1::1', // Teredo, server 127.0.0.1
      '2001:0:808:808:0:0:f5ff:fffe', // Teredo, client ~(f5ff:fffe) = 10.0.0.1
      '2606:4700::5efe:c0a8:1', // ISATAP of 192.168.0.1
      'fec0::1', // site-local
      'fe80::1%eth0',
      '100::1', // discard
      '2001:db8::1', // documentation
      '2001:2::1', // benchmarking
      '3fff::1', // documentation
      '5f00::1', // segment routing
      '4000::1', // outside global unicast
      'not an address',
    ]) {
      expect(live.permits(address), address).toBe(false);
    }
    // The forms as a URL spells them reach the policy in the form it checks.
    for (const url of [
      'http://[::127.0.0.1]/',
      'http://[2002:7f00:1::]/',
      'http://[fec0::1]/',
      'http://0x7f.1/',
    ]) {
      const address = literalAddress(new URL(url));
      expect(address === undefined ? true : live.permits(address), url).toBe(false);
    }
  });

  it('permits the IPv4-embedding forms of public addresses', () => {
    for (const address of [
      '64:ff9b::808:808', // NAT64 of 8.8.8.8
      '2002:808:808::1', // 6to4 of 8.8.8.8
      '2001:0:808:808:0:0:f7f7:f7f7', // Teredo, server and client 8.8.8.8
      '2606:4700::5efe:808:808',
    ]) {
      expect(live.permits(address), address).toBe(true);
    }
  });

  it('permits public addresses', () => {
    for (const address of [
      '93.184.216.34',
      '8.8.8.8',
      '172.32.0.1',
      '2606:4700::1111',
      '::ffff:93.184.216.34',
    ]) {
      expect(live.permits(address), address).toBe(true);
    }
  });

  it('re-opens only the networks allowed for self-hosting, and nothing in test mode', () => {
    const self_hosted = new AddressPolicy(true, ['10.20.0.0/16', 'fd00::/8']);
    expect(self_hosted.permits('10.20.3.4')).toBe(true);
    expect(self_hosted.permits('10.21.3.4')).toBe(false);
    expect(self_hosted.permits('fd00::5')).toBe(true);
    expect(self_hosted.permits('127.0.0.1')).toBe(false);
    expect(new AddressPolicy(false).permits('127.0.0.1')).toBe(true);
  });

  it('checks every address a name resolves to', async () => {
    const refused = await checkUrlAddresses(new URL('http://localhost:8080/'), live);
    expect(refused).toMatchObject({ code: 'webhook_url_forbidden', param: 'url' });
    expect(
      await checkUrlAddresses(new URL('http://localhost:8080/'), new AddressPolicy(false)),
    ).toBeUndefined();
    expect(await checkUrlAddresses(new URL('http://[2606:4700::1111]/'), live)).toBeUndefined();
    expect(await checkUrlAddresses(new URL('http://no-such-host.invalid/'), live)).toMatchObject({
      code: 'invalid_webhook_url',
    });
  });

  it('refuses a lookup that leads to a forbidden address, whichever form the caller asks for', async () => {
    const lookup = live.lookup();
    const resolve = (all: boolean) =>
      new Promise((done) =>
        lookup('localhost', { all }, (error, address) => done(error === null ? address : error.message)),
      );
    expect(await resolve(false)).toMatch(/forbidden address/);
    expect(await resolve(true)).toMatch(/forbidden address/);
    const open = new AddressPolicy(false).lookup();
    const address = await new Promise((done) =>
      open('localhost', { all: false }, (_error, result) => done(result)),
    );
    expect(address).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('keeps the body of an answer only from a public address, sanitized', () => {
    for (const address of [
      '127.0.0.1',
      '::1',
      '::ffff:127.0.0.1',
      '10.1.2.3',
      'fd00::1',
      '2002:7f00:1::',
      undefined,
    ])
      expect(excerptKept(address), String(address)).toBe(false);
    for (const address of ['93.184.216.34', '2606:4700::1111', '::ffff:93.184.216.34'])
      expect(excerptKept(address), address).toBe(true);
    const body = Buffer.from('ok\u0000\u001b[31m red\u0007\r\n\tnext \u0085é', 'utf8');
    expect(sanitizedExcerpt(body, 1_000)).toBe('ok[31m red\r\n\tnext é');
    // A multi-byte character cut by the byte limit decodes as U+FFFD, never as invalid text.
    expect(sanitizedExcerpt(Buffer.from('aé', 'utf8'), 2)).toBe('a\ufffd');
  });

  it('accepts only absolute http(s) URLs without credentials', () => {
    expect(checkUrlShape('https://example.com/hooks?x=1')).toBeInstanceOf(URL);
    for (const url of [
      'ftp://example.com',
      '/hooks',
      'https://a:b@example.com',
      `https://example.com/${'a'.repeat(2048)}`,
    ]) {
      expect(checkUrlShape(url), url).toMatchObject({ code: 'invalid_webhook_url', param: 'url' });
    }
  });
});

describe('retry schedule', () => {
  it('defaults to about three days over ten retries', () => {
    const schedule = loadConfig({}).webhooks.retry_schedule_s;
    expect(schedule).toHaveLength(10);
    const total_s = schedule.reduce((sum, delay) => sum + delay, 0);
    expect(total_s / 86_400).toBeGreaterThan(2.5);
    expect(total_s / 86_400).toBeLessThan(3.5);
    for (let i = 1; i < schedule.length; i += 1)
      expect(schedule[i]).toBeGreaterThanOrEqual(schedule[i - 1] ?? 0);
  });

  it('reads PURSE_WEBHOOK_RETRY_SCHEDULE as seconds, decimals allowed, and refuses anything else', () => {
    expect(loadConfig({ PURSE_WEBHOOK_RETRY_SCHEDULE: '0.5, 2,10' }).webhooks.retry_schedule_s).toEqual([
      0.5, 2, 10,
    ]);
    expect(loadConfig({ PURSE_WEBHOOK_RETRY_SCHEDULE: '' }).webhooks.retry_schedule_s).toEqual([]);
    expect(() => loadConfig({ PURSE_WEBHOOK_RETRY_SCHEDULE: '5,1m' })).toThrow(
      /PURSE_WEBHOOK_RETRY_SCHEDULE/,
    );
    expect(() => loadConfig({ PURSE_WEBHOOK_RETRY_SCHEDULE: '-1' })).toThrow(/PURSE_WEBHOOK_RETRY_SCHEDULE/);
    expect(() => loadConfig({ PURSE_WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/33' })).toThrow(
      /PURSE_WEBHOOK_ALLOWED_NETWORKS/,
    );
    expect(
      loadConfig({ PURSE_WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/8, fd00::/8' }).webhooks.allowed_networks,
    ).toEqual(['10.0.0.0/8', 'fd00::/8']);
  });

  it('jitters each delay by at most 20% and gives up after the last', () => {
    expect(retryDelayMs([10, 60], 1, () => 0)).toBe(8_000);
    expect(retryDelayMs([10, 60], 1, () => 0.999_999)).toBe(12_000);
    expect(retryDelayMs([10, 60], 2, () => 0.5)).toBe(60_000);
    expect(retryDelayMs([10, 60], 3)).toBeUndefined();
    const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs([10], 1)));
    expect(spread.size).toBeGreaterThan(10);
  });
});
