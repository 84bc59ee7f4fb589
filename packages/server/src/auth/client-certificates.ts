import { createHash, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * The client certificate of a mutual-TLS connection (RFC 8705), for partner apps that authenticate
 * with one and whose access tokens are bound to it. The server asks for certificates only when
 * TLS_CLIENT_CA is set; over plain HTTP there is none.
 */
export function peerCertificate(socket: Socket | TLSSocket): X509Certificate | undefined {
  if (!('getPeerCertificate' in socket)) return undefined;
  // A connection already torn down has no peer certificate object at all.
  const raw = (socket.getPeerCertificate() as { raw?: Buffer } | null)?.raw;
  return raw === undefined ? undefined : new X509Certificate(raw);
}

/** Whether the connection's certificate chains to a CA of TLS_CLIENT_CA (checked by TLS). */
export function peerCertificateTrusted(socket: Socket | TLSSocket): boolean {
  return 'authorized' in socket && socket.authorized;
}

/** `x5t#S256`: the certificate's SHA-256 thumbprint, base64url, as bound tokens carry it. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

/**
 * Whether the certificate's subject is `expected_dn`, written as RFC 4514 (`CN=app,O=Example`):
 * the same attributes with the same values, in either order (Node lists a subject from the most
 * significant attribute, RFC 4514 strings from the least).
 */
export function subjectMatches(certificate: X509Certificate, expected_dn: string): boolean {
  const normalize = (parts: string[]) =>
    parts
      .map((part) => part.trim())
      .filter((part) => part.length > 0)
      .map((part) => {
        const at = part.indexOf('=');
        return `${part.slice(0, at).trim().toUpperCase()}=${part.slice(at + 1).trim()}`;
      })
      .sort();
  const actual = normalize(certificate.subject.split('\n'));
  const expected = normalize(expected_dn.split(','));
  return actual.length === expected.length && actual.every((part, index) => part === expected[index]);
}
