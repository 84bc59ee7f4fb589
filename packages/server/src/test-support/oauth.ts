import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { AppDeps } from '../app.js';
import { createTestApp, type TestApp } from './app.js';
import { post } from './money.js';

/**
 * What OAuth tests share: a test app listening on a real port (the issuer must be its address), a
 * partner app's callback server, and a browser (Node's fetch with redirects followed by hand and a
 * cookie jar of its own) that goes through the consent pages as a holder would.
 */
export interface OAuthTestApp {
  readonly t: TestApp;
  readonly base: string;
  /** How the partner app calls the server (a client certificate, for mutual TLS). */
  readonly fetch: Fetch;
  readonly callback: CallbackServer;
  close(): Promise<void>;
}

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** With `tls`, the app serves HTTPS and `partner_fetch` is how the partner app reaches it. */
export async function createOAuthTestApp(
  options: { tls?: AppDeps['tls']; partner_fetch?: Fetch } = {},
): Promise<OAuthTestApp> {
  const port = await freePort();
  const base = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  const t = await createTestApp(
    {},
    {},
    {},
    {},
    {
      oauth_issuer: `${base}/oauth`,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    },
  );
  await t.app.listen({ port, host: '127.0.0.1' });
  const callback = await startCallbackServer();
  return {
    t,
    base,
    fetch: options.partner_fetch ?? fetch,
    callback,
    async close() {
      await callback.close();
      await t.close();
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The partner app's redirect URI: it answers 200 and keeps the query of every request. */
export interface CallbackServer {
  readonly url: string;
  readonly received: URLSearchParams[];
  close(): Promise<void>;
}

async function startCallbackServer(): Promise<CallbackServer> {
  const received: URLSearchParams[] = [];
  const server: Server = createServer((request, response) => {
    received.push(new URL(request.url ?? '/', 'http://127.0.0.1').searchParams);
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Cookie {
  readonly value: string;
  readonly path: string;
}

/** A browser: a cookie jar (by name and path, for one host) and redirects followed one by one. */
export class Browser {
  private readonly jar = new Map<string, Cookie>();
  /** Every URL visited, redirects included, in order. */
  readonly visited: string[] = [];

  constructor(private readonly fetcher: Fetch = fetch) {}

  /** Requests `url` and follows redirects (at most 10), answering the last response. */
  async go(
    url: string,
    init: { method?: string; form?: Record<string, string | string[]> } = {},
  ): Promise<Response> {
    let response = await this.send(url, init.method ?? 'GET', init.form);
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops += 1) {
      const location = response.headers.get('location');
      if (location === null) break;
      url = new URL(location, url).toString();
      response = await this.send(url, 'GET');
    }
    return response;
  }

  private async send(
    url: string,
    method: string,
    form?: Record<string, string | string[]>,
  ): Promise<Response> {
    this.visited.push(url);
    const target = new URL(url);
    const headers: Record<string, string> = {};
    const cookies = [...this.jar.entries()]
      .filter(([, cookie]) => target.pathname.startsWith(cookie.path))
      .map(([name, cookie]) => `${name.split('\u0000')[0]}=${cookie.value}`);
    if (cookies.length > 0) headers.cookie = cookies.join('; ');
    let body: string | undefined;
    if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(form))
        for (const one of Array.isArray(value) ? value : [value]) params.append(name, one);
      body = params.toString();
    }
    const response = await this.fetcher(url, {
      method,
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body }),
    });
    for (const line of response.headers.getSetCookie()) this.store(line);
    return response;
  }

  private store(line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    const path = attributes.find((part) => part.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
    const key = `${name}\u0000${path}`;
    const expired = attributes.some((part) => /^expires=thu, 01 jan 1970/i.test(part)) || value === '';
    if (expired) this.jar.delete(key);
    else this.jar.set(key, { value, path });
  }
}

/** A form's action and hidden fields, read from a consent page. */
export function formOf(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  expect(action, html).toBeDefined();
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[match[1] as string] = match[2] as string;
  return { action: action as string, fields };
}

export interface Pkce {
  readonly verifier: string;
  readonly challenge: string;
}

export function newPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface PartnerApp {
  readonly client_id: string;
  /** Empty for an app that authenticates with its client certificate. */
  readonly client_secret: string;
}

/** Registers a partner app through the API (test mode unless `key` says otherwise). */
export async function registerApp(
  o: OAuthTestApp,
  body: Record<string, unknown> = {},
  key?: string,
): Promise<PartnerApp> {
  const created = await post(
    o.t,
    '/v1/oauth_clients',
    {
      name: 'Budget Buddy',
      redirect_uris: [o.callback.url],
      scopes: ['wallets:read', 'transactions:read', 'payments:write'],
      spend_policy: { limits: [{ currency: 'USD', per_movement_max: '30.00', daily_max: '50.00' }] },
      ...body,
    },
    key,
  );
  expect(created.statusCode, created.body).toBe(201);
  const { id, client_secret } = created.json<{ id: string; client_secret?: string }>();
  return { client_id: id, client_secret: client_secret ?? '' };
}

export function authorizeUrl(
  o: OAuthTestApp,
  app: PartnerApp,
  pkce: Pkce,
  params: Record<string, string> = {},
): string {
  const query = new URLSearchParams({
    client_id: app.client_id,
    redirect_uri: o.callback.url,
    response_type: 'code',
    scope: 'wallets:read transactions:read payments:write',
    state: 'state-123',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...params,
  });
  return `${o.base}/oauth/auth?${query}`;
}

/**
 * A holder goes through the whole consent: the authorize URL, sign-in with email and the sandbox
 * code, the consent page (allowing `wallet_ids`), and back to the app's callback with a code.
 */
export async function consentThrough(
  o: OAuthTestApp,
  url: string,
  holder: { id: string; email: string },
  wallet_ids: readonly string[],
  browser = new Browser(),
): Promise<{ code: string; callback: URL; browser: Browser }> {
  const login = await browser.go(url);
  expect(login.status, `${browser.visited.join(' -> ')} ${await login.clone().text()}`).toBe(200);
  const email = formOf(await login.text());
  const code_page = await browser.go(`${o.base}${email.action}`, {
    method: 'POST',
    form: { ...email.fields, email: holder.email },
  });
  const code_form = formOf(await code_page.text());
  const consent = await browser.go(`${o.base}${code_form.action}`, {
    method: 'POST',
    form: { ...code_form.fields, code: await sentCode(o, code_form.fields.challenge_id) },
  });
  const consent_html = await consent.text();
  expect(consent.status, consent_html).toBe(200);
  const consent_form = formOf(consent_html);
  const done = await browser.go(`${o.base}${consent_form.action}`, {
    method: 'POST',
    form: { ...consent_form.fields, decision: 'approve', wallet_ids: [...wallet_ids] },
  });
  expect(done.status).toBe(200);
  const callback = new URL(browser.visited.at(-1) as string);
  expect(callback.origin + callback.pathname).toBe(o.callback.url);
  const code = callback.searchParams.get('code');
  expect(code, callback.toString()).toBeTruthy();
  return { code: code as string, callback, browser };
}

/** The code the sandbox channel sent for a sign-in challenge (the test helper reveals it). */
export async function sentCode(o: OAuthTestApp, challenge_id: string | undefined): Promise<string> {
  const revealed = await o.t.request({
    method: 'POST',
    url: `/v1/test_helpers/challenges/${challenge_id}/reveal_code`,
  });
  expect(revealed.statusCode, revealed.body).toBe(200);
  return revealed.json<{ code: string }>().code;
}

/** A POST to the token endpoint (or another form endpoint of the server) with the app's secret. */
export async function tokenRequest(
  o: OAuthTestApp,
  app: PartnerApp,
  form: Record<string, string>,
  path = '/oauth/token',
): Promise<Response> {
  if (app.client_secret === '') form = { client_id: app.client_id, ...form };
  const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64');
  return o.fetch(`${o.base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // An app authenticating with its certificate sends only its client_id.
      ...(app.client_secret === '' ? {} : { authorization: `Basic ${basic}` }),
    },
    body: new URLSearchParams(form).toString(),
  });
}

export interface Tokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly scope: string;
  readonly expires_in: number;
}

export async function exchangeCode(
  o: OAuthTestApp,
  app: PartnerApp,
  code: string,
  pkce: Pkce,
): Promise<Tokens> {
  const response = await tokenRequest(o, app, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: o.callback.url,
    code_verifier: pkce.verifier,
  });
  const body = (await response.json()) as Tokens;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** A call to the Purse API with a partner's access token. */
export function withToken(o: OAuthTestApp, token: string, method: string, path: string, body?: unknown) {
  return o.fetch(`${o.base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/**
 * A fetch over node:https trusting `ca` and presenting `certificate` (a client certificate and its
 * key), which Node's own fetch cannot do without undici's agent; plain http URLs too (the app's
 * callback). Redirects are never followed.
 */
export function tlsFetch(options: { ca: Buffer; certificate?: { cert: Buffer; key: Buffer } }): Fetch {
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const outgoing = send(
        target,
        {
          method: init.method ?? 'GET',
          headers: init.headers as Record<string, string>,
          ca: options.ca,
          ...(options.certificate ?? {}),
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(incoming.headers))
              for (const one of Array.isArray(value) ? value : [value ?? '']) headers.append(name, one);
            const status = incoming.statusCode ?? 0;
            const body = [204, 304].includes(status) ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, headers }));
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(typeof init.body === 'string' ? init.body : undefined);
    });
}
