import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../test-support/keys.js';
import { fund, newWallet, post, postOk } from '../test-support/money.js';
import {
  authorizeUrl,
  Browser,
  consentThrough,
  createOAuthTestApp,
  exchangeCode,
  formOf,
  newPkce,
  type OAuthTestApp,
  type PartnerApp,
  registerApp,
  sentCode,
  type Tokens,
  tokenRequest,
  withToken,
} from '../test-support/oauth.js';
import { revokeConsent } from './consents.js';

/**
 * What a partner app (or someone holding its token) must not be able to do, over real HTTP: act
 * outside its consent, after a revocation, in the other mode, on endpoints that are the
 * platform's, or past its limits; and what the authorization server must refuse: a reused code,
 * a wrong PKCE verifier, an unregistered redirect URI, scopes the app may not have.
 */

let o: OAuthTestApp;
let ada: { id: string; email: string };
let bob: { id: string; email: string };
let ada_wallet: string;
let bob_wallet: string;
let shop: string;
beforeAll(async () => {
  o = await createOAuthTestApp();
  ada = await newHolder('ada@example.com');
  bob = await newHolder('bob@example.com');
  ada_wallet = await newWallet(o.t, 'USD', { holder_id: ada.id });
  bob_wallet = await newWallet(o.t, 'USD', { holder_id: bob.id });
  shop = await newWallet(o.t, 'USD');
  await fund(o.t, ada_wallet, '500.00');
  await fund(o.t, bob_wallet, '500.00');
});
afterAll(() => o.close());

async function newHolder(email: string, key?: string) {
  const response = await post(o.t, '/v1/holders', { name: email, email }, key);
  expect(response.statusCode, response.body).toBe(201);
  return { id: response.json<{ id: string }>().id, email };
}

/** A partner app with a consent of Ada's on her wallet, and its tokens. */
async function consented(body: Record<string, unknown> = {}): Promise<{ app: PartnerApp; tokens: Tokens }> {
  const app = await registerApp(o, body);
  const pkce = newPkce();
  const scope = (
    (body.scopes as string[] | undefined) ?? ['wallets:read', 'transactions:read', 'payments:write']
  ).join(' ');
  const { code } = await consentThrough(o, authorizeUrl(o, app, pkce, { scope }), ada, [ada_wallet]);
  return { app, tokens: await exchangeCode(o, app, code, pkce) };
}

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as { code?: string; error?: string }).code ?? '';
}

async function consentIdOf(app: PartnerApp): Promise<string> {
  const list = await o.t.request({ method: 'GET', url: `/v1/consents?client_id=${app.client_id}` });
  return list.json<{ data: { id: string }[] }>().data[0]?.id ?? '';
}

describe('partner tokens', () => {
  it("are 404 on another holder's wallet and on a wallet of the other mode", async () => {
    const { tokens } = await consented();
    expect((await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${bob_wallet}`)).status).toBe(404);
    const live_wallet = await newWallet(o.t, 'USD', {}, o.t.live_key);
    expect((await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${live_wallet}`)).status).toBe(404);
    const moved = await withToken(o, tokens.access_token, 'POST', '/v1/transfers', {
      source_wallet_id: bob_wallet,
      destination_wallet_id: shop,
      amount: '1.00',
      currency: 'USD',
    });
    expect(moved.status).toBe(404);
  });

  it("are refused the platform's endpoints: keys, apps, consents, holders", async () => {
    const { tokens } = await consented();
    for (const [method, path] of [
      ['GET', '/v1/api_keys'],
      ['GET', '/v1/oauth_clients'],
      ['GET', '/v1/consents'],
      ['GET', `/v1/holders/${ada.id}`],
      ['GET', '/v1/events'],
    ] as const) {
      const response = await withToken(o, tokens.access_token, method, path);
      expect(response.status, path).toBe(403);
      expect(await codeOf(response), path).toBe('key_restricted');
    }
    const created = await withToken(o, tokens.access_token, 'POST', '/v1/api_keys', { name: 'mine' });
    expect(created.status).toBe(403);
  });

  it('hold only the consented scopes: wallets:read reads a balance, not transactions', async () => {
    const { tokens } = await consented({ scopes: ['wallets:read'], spend_policy: undefined });
    expect((await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${ada_wallet}/balance`)).status).toBe(
      200,
    );
    const history = await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${ada_wallet}/transactions`);
    expect(history.status).toBe(403);
    expect(await codeOf(history)).toBe('insufficient_scope');
    const pay = await withToken(o, tokens.access_token, 'POST', '/v1/transfers', {
      source_wallet_id: ada_wallet,
      destination_wallet_id: shop,
      amount: '1.00',
      currency: 'USD',
    });
    expect(pay.status).toBe(403);
  });

  it("pay within the consent's limits, counted against the consent, and no further", async () => {
    const { app, tokens } = await consented();
    const pay = (amount: string) =>
      withToken(o, tokens.access_token, 'POST', '/v1/transfers', {
        source_wallet_id: ada_wallet,
        destination_wallet_id: shop,
        amount,
        currency: 'USD',
      });
    const over_one = await pay('30.01');
    expect(over_one.status).toBe(403);
    expect(await codeOf(over_one)).toBe('spend_limit_exceeded');
    expect((await pay('30.00')).status).toBe(201);
    const over_day = await pay('20.01');
    expect(over_day.status).toBe(403);
    expect(((await over_day.json()) as { param: string }).param).toBe('daily_max');
    const consent_id = await consentIdOf(app);
    const counted = await o.t.db.pool.query<{ spent_minor: string }>(
      "SELECT spent_minor FROM spend_counters WHERE api_key_id = $1 AND period = 'day'",
      [consent_id],
    );
    expect(counted.rows[0]?.spent_minor).toBe('3000');
  });

  it('replay a payment under its Idempotency-Key, scoped to the consent', async () => {
    const { tokens } = await consented();
    const pay = () =>
      fetch(`${o.base}/v1/transfers`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.access_token}`,
          'content-type': 'application/json',
          'idempotency-key': 'partner-pay-1',
        },
        body: JSON.stringify({
          source_wallet_id: ada_wallet,
          destination_wallet_id: shop,
          amount: '1.00',
          currency: 'USD',
        }),
      });
    const first = await pay();
    expect(first.status).toBe(201);
    const replay = await pay();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
  });

  it('park payments above approval_above; an approval runs only while the consent stands', async () => {
    const policy = { limits: [{ currency: 'USD', per_movement_max: '100.00', approval_above: '10.00' }] };
    const park = async () => {
      const { app, tokens } = await consented({ spend_policy: policy });
      const parked = await withToken(o, tokens.access_token, 'POST', '/v1/transfers', {
        source_wallet_id: ada_wallet,
        destination_wallet_id: shop,
        amount: '15.00',
        currency: 'USD',
      });
      expect(parked.status).toBe(202);
      const approval = ((await parked.json()) as { id: string }).id;
      expect((await withToken(o, tokens.access_token, 'GET', `/v1/approvals/${approval}`)).status).toBe(200);
      return { app, approval };
    };
    const runs = await park();
    const approved = await post(o.t, `/v1/approvals/${runs.approval}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    const stale = await park();
    await postOk(o.t, `/v1/consents/${await consentIdOf(stale.app)}/revoke`, undefined, 200);
    const refused = await post(o.t, `/v1/approvals/${stale.approval}/approve`);
    expect(refused.json()).toMatchObject({ code: 'invalid_state' });
  });

  it('are refused at once after the consent is revoked, and so is the refresh token', async () => {
    const { app, tokens } = await consented();
    const consent_id = await consentIdOf(app);
    const revoked = await postOk(o.t, `/v1/consents/${consent_id}/revoke`, { requested_by: 'holder' }, 200);
    expect(revoked).toMatchObject({ status: 'revoked', revoked_by: 'holder' });
    const refused = await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${ada_wallet}`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await codeOf(refused)).toBe('invalid_access_token');
    const refresh = await tokenRequest(o, app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(refresh.status).toBe(400);
    const again = await post(o.t, `/v1/consents/${consent_id}/revoke`);
    expect(again.statusCode).toBe(409);
  });

  it('move no money once a revocation commits, even when the token was checked before it', async () => {
    const { app, tokens } = await consented();
    const consent_id = await consentIdOf(app);
    const before = await o.t.request({ method: 'GET', url: `/v1/wallets/${ada_wallet}` });
    const revoker = await o.t.db.pool.connect();
    try {
      // A revocation under way: it holds the consent's row while the payment comes in.
      await revoker.query('BEGIN');
      await revoker.query('SELECT 1 FROM oauth_consents WHERE id = $1 FOR UPDATE', [consent_id]);
      const paying = withToken(o, tokens.access_token, 'POST', '/v1/transfers', {
        source_wallet_id: ada_wallet,
        destination_wallet_id: shop,
        amount: '1.00',
        currency: 'USD',
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await revokeConsent(revoker, false, consent_id, 'test', o.t.clock.now())).ok).toBe(true);
      await revoker.query('COMMIT');
      const paid = await paying;
      expect(paid.status).toBe(401);
      expect(await codeOf(paid)).toBe('invalid_access_token');
    } finally {
      revoker.release();
    }
    const after = await o.t.request({ method: 'GET', url: `/v1/wallets/${ada_wallet}` });
    expect(after.json().balance).toEqual(before.json().balance);
  });

  it("stop when the app revokes its refresh token (RFC 7009): the holder's consent ends", async () => {
    const { app, tokens } = await consented();
    const revoked = await tokenRequest(
      o,
      app,
      { token: tokens.refresh_token, token_type_hint: 'refresh_token' },
      '/oauth/token/revocation',
    );
    expect(revoked.status).toBe(200);
    expect((await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${ada_wallet}`)).status).toBe(401);
    const consent = await o.t.request({ method: 'GET', url: `/v1/consents/${await consentIdOf(app)}` });
    expect(consent.json()).toMatchObject({ status: 'revoked', revoked_by: 'client' });
  });

  it('stop when the app revokes an access token (RFC 7009): the consent ends, not only the token', async () => {
    const { app, tokens } = await consented();
    const revoked = await tokenRequest(
      o,
      app,
      { token: tokens.access_token, token_type_hint: 'access_token' },
      '/oauth/token/revocation',
    );
    expect(revoked.status).toBe(200);
    const refreshed = await tokenRequest(o, app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(refreshed.status).toBe(400);
    const consent = await o.t.request({ method: 'GET', url: `/v1/consents/${await consentIdOf(app)}` });
    expect(consent.json()).toMatchObject({ status: 'revoked', revoked_by: 'client' });
  });

  it('stop when a rotated refresh token is used again: the consent is revoked', async () => {
    const { app, tokens } = await consented();
    const first = await tokenRequest(o, app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    const renewed = (await first.json()) as Tokens;
    const replayed = await tokenRequest(o, app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(replayed.status).toBe(400);
    expect((await withToken(o, renewed.access_token, 'GET', `/v1/wallets/${ada_wallet}`)).status).toBe(401);
    const consent = await o.t.request({ method: 'GET', url: `/v1/consents/${await consentIdOf(app)}` });
    expect(consent.json()).toMatchObject({ status: 'revoked', revoked_by: 'client' });
  });

  it('stop when the app is deleted', async () => {
    const { app, tokens } = await consented();
    const deleted = await o.t.request({ method: 'DELETE', url: `/v1/oauth_clients/${app.client_id}` });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect((await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${ada_wallet}`)).status).toBe(401);
    const token = await tokenRequest(o, app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(token.status).toBe(401);
  });

  it('are introspected (RFC 7662) as active, then inactive once revoked', async () => {
    const { app, tokens } = await consented();
    const introspect = async () =>
      (await (
        await tokenRequest(o, app, { token: tokens.access_token }, '/oauth/token/introspection')
      ).json()) as { active: boolean; scope?: string; sub?: string };
    expect(await introspect()).toMatchObject({ active: true, sub: ada.id });
    await postOk(o.t, `/v1/consents/${await consentIdOf(app)}/revoke`, undefined, 200);
    expect(await introspect()).toEqual({ active: false });
  });
});

describe('the authorization server', () => {
  it('refuses a code used twice, and revokes what the first use gave', async () => {
    const app = await registerApp(o);
    const pkce = newPkce();
    const { code } = await consentThrough(o, authorizeUrl(o, app, pkce), ada, [ada_wallet]);
    const tokens = await exchangeCode(o, app, code, pkce);
    const reused = await tokenRequest(o, app, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: o.callback.url,
      code_verifier: pkce.verifier,
    });
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${ada_wallet}`)).status).toBe(401);
  });

  it('refuses a wrong PKCE verifier, and an authorization request without PKCE', async () => {
    const app = await registerApp(o);
    const pkce = newPkce();
    const { code } = await consentThrough(o, authorizeUrl(o, app, pkce), ada, [ada_wallet]);
    const wrong = await tokenRequest(o, app, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: o.callback.url,
      code_verifier: newPkce().verifier,
    });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant');

    const browser = new Browser();
    const url = new URL(authorizeUrl(o, app, pkce));
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    await browser.go(url.toString());
    const answer = new URL(browser.visited.at(-1) as string);
    expect(answer.searchParams.get('error')).toBe('invalid_request');
    expect(answer.searchParams.get('code')).toBeNull();
  });

  it('answers a client_id that cannot be one (a NUL byte) with a client error, never a 5xx', async () => {
    const auth = await o.fetch(`${o.base}/oauth/auth?client_id=%00&response_type=code`, {
      redirect: 'manual',
    });
    expect(auth.status).toBeLessThan(500);
    for (const path of ['/oauth/token', '/oauth/token/introspection', '/oauth/token/revocation']) {
      const answer = await o.fetch(`${o.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'client_id=%00&grant_type=authorization_code&code=x&token=x',
      });
      expect(answer.status, path).toBeLessThan(500);
    }
  });

  it('never redirects to an unregistered redirect URI', async () => {
    const app = await registerApp(o);
    const browser = new Browser();
    const response = await browser.go(
      authorizeUrl(o, app, newPkce(), { redirect_uri: 'https://evil.example.com/steal' }),
    );
    expect(response.status).toBe(400);
    expect(browser.visited.every((url) => url.startsWith(o.base))).toBe(true);
  });

  it('refuses scopes the app may not have, before any consent', async () => {
    const app = await registerApp(o, { scopes: ['wallets:read'], spend_policy: undefined });
    const browser = new Browser();
    await browser.go(authorizeUrl(o, app, newPkce(), { scope: 'wallets:read payments:write' }));
    const answer = new URL(browser.visited.at(-1) as string);
    expect(answer.origin + answer.pathname).toBe(o.callback.url);
    expect(answer.searchParams.get('error')).toBe('invalid_scope');
  });

  it("gives a holder's denial back to the app as access_denied, with no consent", async () => {
    const app = await registerApp(o);
    const browser = new Browser();
    const login = await browser.go(authorizeUrl(o, app, newPkce()));
    const email = formOf(await login.text());
    const code_page = formOf(
      await (
        await browser.go(`${o.base}${email.action}`, {
          method: 'POST',
          form: { ...email.fields, email: ada.email },
        })
      ).text(),
    );
    const consent = formOf(
      await (
        await browser.go(`${o.base}${code_page.action}`, {
          method: 'POST',
          form: { ...code_page.fields, code: await sentCode(o, code_page.fields.challenge_id) },
        })
      ).text(),
    );
    await browser.go(`${o.base}${consent.action}`, {
      method: 'POST',
      form: { ...consent.fields, decision: 'deny' },
    });
    const answer = new URL(browser.visited.at(-1) as string);
    expect(answer.searchParams.get('error')).toBe('access_denied');
    expect(await consentIdOf(app)).toBe('');
  });

  it('refuses a form without its CSRF token, a wrong code, a second sign-in, and a wallet that is not the holder’s', async () => {
    const app = await registerApp(o);
    const browser = new Browser();
    const login = await browser.go(authorizeUrl(o, app, newPkce()));
    const email = formOf(await login.text());
    const forged = await browser.go(`${o.base}${email.action}`, {
      method: 'POST',
      form: { csrf: 'forged', email: ada.email },
    });
    expect(forged.status).toBe(403);
    const code_form = formOf(
      await (
        await browser.go(`${o.base}${email.action}`, {
          method: 'POST',
          form: { ...email.fields, email: ada.email },
        })
      ).text(),
    );
    const wrong = await browser.go(`${o.base}${code_form.action}`, {
      method: 'POST',
      form: { ...code_form.fields, code: '000000x' },
    });
    expect(await wrong.text()).toContain('That code is wrong or has expired.');
    const consent = formOf(
      await (
        await browser.go(`${o.base}${code_form.action}`, {
          method: 'POST',
          form: { ...code_form.fields, code: await sentCode(o, code_form.fields.challenge_id) },
        })
      ).text(),
    );
    // Signed in as Ada, the sign-in forms no longer switch the holder: the old page's form is of
    // a finished interaction, and the consent page's own interaction refuses a sign-in.
    const replayed = await browser.go(`${o.base}${code_form.action}`, {
      method: 'POST',
      form: { ...code_form.fields, code: '123456' },
    });
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('This page has expired');
    const consent_uid_code = consent.action.replace(/\/consent$/, '/code');
    const switched = await browser.go(`${o.base}${consent_uid_code}`, {
      method: 'POST',
      form: { csrf: consent.fields.csrf as string, challenge_id: 'chl_x', code: '123456' },
    });
    expect(await switched.text()).toContain('Already signed in');
    const stolen = await browser.go(`${o.base}${consent.action}`, {
      method: 'POST',
      form: { ...consent.fields, decision: 'approve', wallet_ids: [bob_wallet] },
    });
    expect(await stolen.text()).toContain('Choose at least one of your wallets.');
    expect(await consentIdOf(app)).toBe('');
  });

  it('sends one holder at most 5 unused sign-in codes per 10 minutes', async () => {
    const app = await registerApp(o);
    const dora = await newHolder('dora@example.com');
    const ask = async () => {
      const browser = new Browser();
      const email = formOf(await (await browser.go(authorizeUrl(o, app, newPkce()))).text());
      const page = await browser.go(`${o.base}${email.action}`, {
        method: 'POST',
        form: { ...email.fields, email: dora.email },
      });
      expect(page.status).toBe(200);
    };
    for (let sent = 0; sent < 6; sent += 1) await ask();
    const codes = await o.t.db.pool.query('SELECT 1 FROM challenges WHERE holder_id = $1', [dora.id]);
    expect(codes.rowCount).toBe(5);
    o.t.clock.advance(10 * 60_000 + 1);
    await ask();
    const later = await o.t.db.pool.query('SELECT 1 FROM challenges WHERE holder_id = $1', [dora.id]);
    expect(later.rowCount).toBe(6);
  });

  it("signs in only holders of the app's mode", async () => {
    const app = await registerApp(o);
    const live = await newHolder('carol@example.com', o.t.live_key);
    const browser = new Browser();
    const email = formOf(await (await browser.go(authorizeUrl(o, app, newPkce()))).text());
    const code_page = await browser.go(`${o.base}${email.action}`, {
      method: 'POST',
      form: { ...email.fields, email: live.email },
    });
    const { challenge_id } = formOf(await code_page.text()).fields;
    expect(challenge_id).toMatch(/^chl_/);
    const sent = await o.t.db.pool.query('SELECT 1 FROM challenges WHERE holder_id = $1', [live.id]);
    expect(sent.rowCount).toBe(0);
    const revealed = await post(o.t, `/v1/test_helpers/challenges/${challenge_id}/reveal_code`);
    expect(revealed.statusCode).toBe(404);
  });
});

describe("the holder's connected-apps page", () => {
  async function signedIn(holder: {
    id: string;
    email: string;
  }): Promise<{ browser: Browser; page: string }> {
    const browser = new Browser();
    const email = formOf(await (await browser.go(`${o.base}/oauth/holder?mode=test`)).text());
    const code_form = formOf(
      await (
        await browser.go(`${o.base}${email.action}`, {
          method: 'POST',
          form: { ...email.fields, email: holder.email },
        })
      ).text(),
    );
    const apps = await browser.go(`${o.base}${code_form.action}`, {
      method: 'POST',
      form: { ...code_form.fields, code: await sentCode(o, code_form.fields.challenge_id) },
    });
    expect(apps.status).toBe(200);
    expect(apps.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    return { browser, page: await apps.text() };
  }

  it('lets a holder remove an app: its token stops at once; another holder cannot', async () => {
    const { app, tokens } = await consented();
    const consent_id = await consentIdOf(app);
    // Bob, signed in with an app of his own, holds a valid form token: Ada's consent is still not his.
    const bob_app = await registerApp(o);
    await consentThrough(o, authorizeUrl(o, bob_app, newPkce()), bob, [bob_wallet]);
    const bob_view = await signedIn(bob);
    expect(bob_view.page).not.toContain(consent_id);
    const bob_csrf = formOf(bob_view.page).fields.csrf as string;
    const stolen = await bob_view.browser.go(`${o.base}/oauth/holder/apps/${consent_id}/remove`, {
      method: 'POST',
      form: { csrf: bob_csrf },
    });
    expect(stolen.status).toBe(404);
    const { browser, page } = await signedIn(ada);
    expect(page).toContain('Budget Buddy');
    const forms = page.matchAll(
      /<form method="post" action="([^"]+)"><input type="hidden" name="csrf" value="([^"]*)">/g,
    );
    const remove = [...forms].find((match) => match[1]?.includes(consent_id));
    expect(remove).toBeDefined();
    const forged = await browser.go(`${o.base}${remove?.[1]}`, { method: 'POST', form: { csrf: 'forged' } });
    expect(forged.status).toBe(403);
    const removed = await browser.go(`${o.base}${remove?.[1]}`, {
      method: 'POST',
      form: { csrf: remove?.[2] ?? '' },
    });
    expect(removed.status).toBe(200);
    expect(await removed.text()).not.toContain(consent_id);
    expect((await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${ada_wallet}`)).status).toBe(401);
    const consent = await o.t.request({ method: 'GET', url: `/v1/consents/${consent_id}` });
    expect(consent.json()).toMatchObject({ status: 'revoked', revoked_by: 'holder' });
  });

  it('shows nothing without a signed-in session', async () => {
    const browser = new Browser();
    await browser.go(`${o.base}/oauth/holder/apps`);
    expect(new URL(browser.visited.at(-1) as string).pathname).toBe('/oauth/holder');
  });
});

describe('step-up of partner payments', () => {
  it('a payment a risk rule challenges waits for the holder, and the app confirms it with the code', async () => {
    const rule = await postOk(o.t, '/v1/risk_rules', {
      name: 'Step up partner payments',
      type: 'amount_above',
      action: 'challenge',
      currency: 'USD',
      amount: '20.00',
    });
    try {
      const { app, tokens } = await consented();
      const parked = await withToken(o, tokens.access_token, 'POST', '/v1/transfers', {
        source_wallet_id: ada_wallet,
        destination_wallet_id: shop,
        amount: '25.00',
        currency: 'USD',
      });
      expect(parked.status).toBe(202);
      const challenge = (await parked.json()) as { id: string; holder_id: string };
      expect(challenge.holder_id).toBe(ada.id);
      const confirmed = await withToken(
        o,
        tokens.access_token,
        'POST',
        `/v1/challenges/${challenge.id}/confirm`,
        {
          code: await sentCode(o, challenge.id),
        },
      );
      expect(confirmed.status).toBe(200);
      expect(await confirmed.json()).toMatchObject({ status: 'succeeded', result: { status: 201 } });
      const counted = await o.t.db.pool.query<{ spent_minor: string }>(
        "SELECT spent_minor FROM spend_counters WHERE api_key_id = $1 AND period = 'day'",
        [await consentIdOf(app)],
      );
      expect(counted.rows[0]?.spent_minor).toBe('2500');
    } finally {
      await postOk(o.t, `/v1/risk_rules/${rule.id}`, { enabled: false }, 200);
    }
  });
});

describe('registering apps', () => {
  it('refuses unsafe redirect URIs, and payments:write without limits', async () => {
    const refused = async (body: Record<string, unknown>, key?: string) =>
      post(
        o.t,
        '/v1/oauth_clients',
        { name: 'x', redirect_uris: ['https://ok.example.com/cb'], scopes: ['wallets:read'], ...body },
        key,
      );
    const http = await refused({ redirect_uris: ['http://example.com/cb'] });
    expect(http.json()).toMatchObject({ code: 'invalid_redirect_uri', param: 'redirect_uris.0' });
    const live_loopback = await refused({ redirect_uris: ['http://localhost:3000/cb'] }, o.t.live_key);
    expect(live_loopback.json()).toMatchObject({ code: 'invalid_redirect_uri' });
    const fragment = await refused({ redirect_uris: ['https://ok.example.com/cb#x'] });
    expect(fragment.json()).toMatchObject({ code: 'invalid_redirect_uri' });
    const unlimited = await refused({ scopes: ['payments:write'] });
    expect(unlimited.json()).toMatchObject({ code: 'invalid_request', param: 'spend_policy' });
    const unknown = await refused({ scopes: ['holders:write'] });
    expect(unknown.statusCode).toBe(400);
  });

  it('shows the secret once and keeps only its hash; restricted and policy-bound keys cannot register', async () => {
    const app = await registerApp(o);
    const shown = await o.t.request({ method: 'GET', url: `/v1/oauth_clients/${app.client_id}` });
    expect(shown.json().client_secret).toBeUndefined();
    expect(shown.json().redacted_secret).toBe(`pcs_test_...${app.client_secret.slice(-4)}`);
    const stored = await o.t.db.pool.query('SELECT * FROM oauth_clients WHERE id = $1', [app.client_id]);
    expect(JSON.stringify(stored.rows[0])).not.toContain(app.client_secret);
    const restricted = await createKey(o.t, { scopes: ['*'], restrictions: { wallet_ids: [ada_wallet] } });
    const bound = await createKey(o.t, {
      scopes: ['oauth_clients:write'],
      spend_policy: { limits: [{ currency: 'USD', daily_max: '1.00' }] },
    });
    for (const key of [restricted.secret, bound.secret]) {
      const response = await post(
        o.t,
        '/v1/oauth_clients',
        { name: 'x', redirect_uris: ['https://ok.example.com/cb'], scopes: ['wallets:read'] },
        key,
      );
      expect(response.statusCode, response.body).toBe(403);
    }
  });

  it('keeps apps and consents to their mode', async () => {
    const app = await registerApp(o);
    const other_mode = await o.t.request({
      method: 'GET',
      url: `/v1/oauth_clients/${app.client_id}`,
      key: o.t.live_key,
    });
    expect(other_mode.statusCode).toBe(404);
    const live_list = await o.t.request({ method: 'GET', url: '/v1/consents', key: o.t.live_key });
    expect(live_list.json().data).toEqual([]);
  });
});
