import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { type DomainError, domainError } from '../shared/errors.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/**
 * Whether an address is on the public internet, which is all a live-mode webhook may reach (SSRF).
 * IPv4: ipaddr.js's `unicast` only, so not loopback, private, link-local, shared (CGNAT),
 * multicast, broadcast, unspecified or reserved. IPv6: global unicast (2000::/3) outside every
 * special-purpose range, which refuses IPv4-compatible `::a.b.c.d` (`[::127.0.0.1]`), site-local
 * fec0::/10 and unique-local fc00::/7; and a form that carries an IPv4 address (mapped,
 * translated, NAT64, 6to4, Teredo, ISATAP) is only as public as that IPv4: `[2002:7f00:1::]` leads
 * to 127.0.0.1. Test mode has no such rule, so developers can receive webhooks on localhost.
 */
export function isPublicAddress(address: Address): boolean {
  if (address.kind() === 'ipv4') return address.range() === 'unicast';
  const ipv6 = address as ipaddr.IPv6;
  const embedded = embeddedIpv4(ipv6);
  if (embedded !== undefined) return embedded.length > 0 && embedded.every(isPublicAddress);
  return ipv6.range() === 'unicast' && ipv6.match(global_unicast);
}

/** `isPublicAddress` for an address as text; anything that is not an IP address is not public. */
export function isPublicAddressText(address: string): boolean {
  const ip = parsed(address);
  return ip !== undefined && isPublicAddress(ip);
}

/**
 * An address from text, by its bits. ipaddr.js reads the dotted IPv4-compatible `::8.8.8.8` as
 * if it were the IPv4-mapped `::ffff:8.8.8.8`, so IPv6 goes through the WHATWG URL serializer
 * first, which writes it as `::808:808`. A zone (`fe80::1%eth0`) is dropped: it only names an
 * interface.
 */
function parsed(text: string): Address | undefined {
  const family = isIP(text);
  if (family === 4) return ipaddr.IPv4.parse(text);
  if (family !== 6) return undefined;
  const [without_zone = ''] = text.split('%');
  const host = URL.canParse(`http://[${without_zone}]/`) ? new URL(`http://[${without_zone}]/`).hostname : '';
  const hex = host.slice(1, -1);
  return ipaddr.IPv6.isValid(hex) ? ipaddr.IPv6.parse(hex) : undefined;
}

const global_unicast = ipaddr.IPv6.parseCIDR('2000::/3');
/** RFC 8215's local-use NAT64 prefix: its translator and layout are the local network's own. */
const local_nat64 = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');

/**
 * The IPv4 addresses an IPv6 address leads to when it is a form that embeds one (empty: such a
 * form that is never accepted), undefined for a plain IPv6 address.
 */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4[] | undefined {
  const [, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0] = address.parts;
  const ipv4 = (high: number, low: number) =>
    new ipaddr.IPv4([(high >> 8) & 0xff, high & 0xff, (low >> 8) & 0xff, low & 0xff]);
  if (address.match(local_nat64)) return [];
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d (SIIT)
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64)
      return [ipv4(p6, p7)];
    case '6to4': // 2002:aabb:ccdd::/48 is routed through the relay at aa.bb.cc.dd
      return [ipv4(p1, p2)];
    case 'teredo': // 2001:0:server:server:flags:port:client:client, the client bits inverted
      return [ipv4(p2, p3), ipv4(~p6, ~p7)];
  }
  // ISATAP: any prefix with the interface id 0:5efe:a.b.c.d or 200:5efe:a.b.c.d.
  if (p5 === 0x5efe && (p4 === 0 || p4 === 0x200)) return [ipv4(p6, p7)];
  return undefined;
}

/** Which addresses webhooks may connect to; `allowed_networks` re-opens private ranges. */
export class AddressPolicy {
  private readonly allowed: readonly Range[];

  constructor(
    readonly enforced: boolean,
    allowed_networks: readonly string[] = [],
  ) {
    this.allowed = allowed_networks.map((network) => ipaddr.parseCIDR(network));
  }

  permits(address: string): boolean {
    if (!this.enforced) return true;
    const ip = parsed(address);
    if (ip === undefined) return false;
    // `::ffff:10.0.0.1` is 10.0.0.1, so an allowed IPv4 network matches it too.
    const plain =
      ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()
        ? (ip as ipaddr.IPv6).toIPv4Address()
        : ip;
    return isPublicAddress(plain) || this.allowed.some((range) => inRange(plain, range));
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

function inRange(address: Address, [network, prefix]: Range): boolean {
  if (address.kind() !== network.kind()) return false;
  return address.kind() === 'ipv4'
    ? (address as ipaddr.IPv4).match(network as ipaddr.IPv4, prefix)
    : (address as ipaddr.IPv6).match(network as ipaddr.IPv6, prefix);
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
