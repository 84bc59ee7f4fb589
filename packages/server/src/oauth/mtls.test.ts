import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, newWallet, postOk } from '../test-support/money.js';
import {
  authorizeUrl,
  Browser,
  consentThrough,
  createOAuthTestApp,
  exchangeCode,
  newPkce,
  type OAuthTestApp,
  registerApp,
  tlsFetch,
  tokenRequest,
  withToken,
} from '../test-support/oauth.js';

/**
 * RFC 8705 over real HTTPS: an app registered with a certificate subject authenticates at the
 * token endpoint with that client certificate (signed by a CA of TLS_CLIENT_CA), and its access
 * tokens work only over a connection presenting the same certificate.
 */

let dir: string;
let o: OAuthTestApp;
let ca: Buffer;
let holder: { id: string; email: string };
let wallet: string;
const subject = '/C=GB/O=Budget Buddy Ltd/CN=budget-buddy';
const subject_dn = 'CN=budget-buddy,O=Budget Buddy Ltd,C=GB';

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A key and a certificate for `subject_line`, signed by the CA named `signer` (self-signed if none). */
function certificate(name: string, subject_line: string, signer?: string, extra: string[] = []): void {
  const at = (file: string) => path.join(dir, file);
  const key = [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    at(`${name}.key`),
  ];
  if (signer === undefined) {
    openssl('req', '-x509', ...key, '-days', '2', '-subj', subject_line, ...extra, '-out', at(`${name}.pem`));
    return;
  }
  openssl('req', '-new', ...key, '-subj', subject_line, '-out', at(`${name}.csr`));
  openssl(
    'x509',
    '-req',
    '-in',
    at(`${name}.csr`),
    '-CA',
    at(`${signer}.pem`),
    '-CAkey',
    at(`${signer}.key`),
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    at(`${name}.pem`),
  );
}

async function pair(name: string) {
  return {
    cert: await readFile(path.join(dir, `${name}.pem`)),
    key: await readFile(path.join(dir, `${name}.key`)),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'purse-mtls-'));
  certificate('ca', '/CN=Purse test partner CA', undefined, ['-addext', 'basicConstraints=critical,CA:TRUE']);
  certificate('server', '/CN=127.0.0.1', undefined, ['-addext', 'subjectAltName=IP:127.0.0.1']);
  certificate('partner', subject, 'ca');
  certificate('rogue-ca', '/CN=Someone else', undefined, ['-addext', 'basicConstraints=critical,CA:TRUE']);
  certificate('rogue', subject, 'rogue-ca');
  certificate('other', '/C=GB/O=Budget Buddy Ltd/CN=another-app', 'ca');
  ca = await readFile(path.join(dir, 'ca.pem'));
  const server = await pair('server');
  o = await createOAuthTestApp({
    tls: { ...server, client_ca: ca },
    partner_fetch: tlsFetch({ ca: server.cert, certificate: await pair('partner') }),
  });
  holder = {
    id: (await postOk(o.t, '/v1/holders', { name: 'Ada', email: 'ada@example.com' })).id,
    email: 'ada@example.com',
  };
  wallet = await newWallet(o.t, 'USD', { holder_id: holder.id });
  await fund(o.t, wallet, '100.00');
});
afterAll(async () => {
  await o.close();
  await rm(dir, { recursive: true, force: true });
});

async function tokensOfMtlsApp() {
  const app = await registerApp(o, { tls_client_auth_subject_dn: subject_dn });
  expect(app.client_secret).toBe('');
  const pkce = newPkce();
  const server_ca = (await pair('server')).cert;
  const browser = new Browser(tlsFetch({ ca: server_ca }));
  const { code } = await consentThrough(o, authorizeUrl(o, app, pkce), holder, [wallet], browser);
  return { app, code, pkce, tokens: await exchangeCode(o, app, code, pkce) };
}

describe('mutual-TLS partner apps (RFC 8705)', () => {
  it('authenticate with their certificate and get tokens bound to it', async () => {
    const { app, tokens } = await tokensOfMtlsApp();
    expect((await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${wallet}`)).status).toBe(200);
    const own = (await (
      await tokenRequest(o, app, { token: tokens.access_token }, '/oauth/token/introspection')
    ).json()) as { active: boolean; cnf?: Record<string, string> };
    expect(own.active).toBe(true);
    expect(own.cnf?.['x5t#S256']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const introspected = (await (
      await tokenRequest(
        o,
        (
          await tokensOfMtlsApp()
        ).app,
        { token: tokens.access_token },
        '/oauth/token/introspection',
      )
    ).json()) as { active: boolean };
    // Another app (the same certificate, another registration) does not see this one's token.
    expect(introspected.active).toBe(false);
  });

  it('refuse a bound token over a connection without the certificate, or with another one', async () => {
    const { tokens } = await tokensOfMtlsApp();
    const server_ca = (await pair('server')).cert;
    for (const fetcher of [
      tlsFetch({ ca: server_ca }),
      tlsFetch({ ca: server_ca, certificate: await pair('other') }),
    ]) {
      const response = await fetcher(`${o.base}/v1/wallets/${wallet}`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { code: string }).code).toBe('invalid_access_token');
    }
  });

  it('refuse a certificate from another CA, or of another subject, at the token endpoint', async () => {
    const server_ca = (await pair('server')).cert;
    for (const name of ['rogue', 'other']) {
      const app = await registerApp(o, { tls_client_auth_subject_dn: subject_dn });
      const pkce = newPkce();
      const browser = new Browser(tlsFetch({ ca: server_ca }));
      const { code } = await consentThrough(o, authorizeUrl(o, app, pkce), holder, [wallet], browser);
      const response = await tlsFetch({ ca: server_ca, certificate: await pair(name) })(
        `${o.base}/oauth/token`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            client_id: app.client_id,
            grant_type: 'authorization_code',
            code,
            redirect_uri: o.callback.url,
            code_verifier: pkce.verifier,
          }).toString(),
        },
      );
      expect(response.status, name).toBe(401);
      expect(((await response.json()) as { error: string }).error, name).toBe('invalid_client');
    }
  });
});
