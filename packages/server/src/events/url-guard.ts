import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { type DomainError, domainError } from '../shared/errors.js';

/**
 * Addresses a live-mode webhook must not reach (SSRF): loopback, private, link-local, shared
 * (CGNAT), multicast, reserved and unspecified ranges, and the IPv6 forms that lead back into them.
 * Test mode has no such rule, so developers can receive webhooks on localhost.
 */
const forbidden_ranges: readonly (readonly [string, number, 'ipv4' | 'ipv6'])[] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

/** Which addresses webhooks may connect to; `allowed_networks` re-opens private ranges. */
export class AddressPolicy {
  private readonly forbidden = new BlockList();
  private readonly allowed = new BlockList();

  constructor(
    readonly enforced: boolean,
    allowed_networks: readonly string[] = [],
  ) {
    for (const [address, prefix, family] of forbidden_ranges)
      this.forbidden.addSubnet(address, prefix, family);
    for (const network of allowed_networks) {
      const [address = '', prefix = ''] = network.split('/');
      this.allowed.addSubnet(address, Number(prefix), isIP(address) === 6 ? 'ipv6' : 'ipv4');
    }
  }

  permits(address: string): boolean {
    if (!this.enforced) return true;
    const plain = unmapped(address);
    const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
    return !this.forbidden.check(plain, family) || this.allowed.check(plain, family);
  }

  /**
   * A `lookup` for http.request that refuses forbidden addresses. The connection then goes to the
   * address that was checked, so a DNS answer that changes between check and connect (rebinding)
   * cannot slip through.
   */
  lookup(): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error !== null) return callback(error, '', 0);
        const refused = addresses.find((entry) => !this.permits(entry.address));
        const first = addresses[0];
        if (refused !== undefined || first === undefined) {
          const forbidden = new Error(
            `${hostname} resolves to ${refused?.address ?? 'nothing'}, a forbidden address`,
          );
          return callback(Object.assign(forbidden, { code: 'EADDRFORBIDDEN' }), '', 0);
        }
        if (options.all === true) return callback(null, addresses);
        return callback(null, first.address, first.family);
      });
    };
  }
}

/** `::ffff:10.0.0.1` is 10.0.0.1. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** The host of a URL as an address when it is an IP literal (`[::1]` becomes `::1`). */
export function literalAddress(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) === 0 ? undefined : host;
}

export const webhook_url_chars_max = 2048;

/** An absolute http(s) URL without credentials. */
export function checkUrlShape(value: string): URL | DomainError {
  const invalid = (why: string) => domainError('invalid_webhook_url', `The url ${why}.`, 'url');
  if (value.length > webhook_url_chars_max)
    return invalid(`is longer than ${webhook_url_chars_max} characters`);
  if (!URL.canParse(value)) return invalid('is not an absolute URL');
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return invalid('must use http or https');
  if (url.username !== '' || url.password !== '') return invalid('must not carry credentials');
  if (url.hostname === '') return invalid('has no host');
  return url;
}

/**
 * Under an enforced policy, every address the host resolves to must be permitted now; delivery
 * checks again at each connection, since DNS answers change.
 */
export async function checkUrlAddresses(url: URL, policy: AddressPolicy): Promise<DomainError | undefined> {
  if (!policy.enforced) return undefined;
  const literal = literalAddress(url);
  let addresses: string[];
  try {
    addresses =
      literal === undefined
        ? (await dnsLookupAll(url.hostname, { all: true })).map((a) => a.address)
        : [literal];
  } catch {
    return domainError('invalid_webhook_url', `The host ${url.hostname} does not resolve.`, 'url');
  }
  const refused = addresses.find((address) => !policy.permits(address));
  if (refused === undefined) return undefined;
  return domainError(
    'webhook_url_forbidden',
    `${url.hostname} resolves to ${refused}, a loopback, private or link-local address; live-mode endpoints must be public (see PURSE_WEBHOOK_ALLOWED_NETWORKS).`,
    'url',
  );
}
