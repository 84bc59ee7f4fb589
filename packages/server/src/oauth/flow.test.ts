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
  tokenRequest,
  withToken,
} from '../test-support/oauth.js';

/**
 * The OAuth flow end to end over real HTTP: a partner app registered through the API, a holder
 * going through the authorize endpoint, the sign-in and consent pages and back to the app's
 * callback with a code, the code exchanged with PKCE, the API called with the access token, a
 * refresh, and the consent revoked by the platform: the tokens stop working at once.
 */

let o: OAuthTestApp;
let holder: { id: string; email: string };
let wallet: string;
let other_wallet: string;
beforeAll(async () => {
  o = await createOAuthTestApp();
  holder = {
    id: (await postOk(o.t, '/v1/holders', { name: 'Ada', email: 'ada@example.com' })).id,
    email: 'ada@example.com',
  };
  wallet = await newWallet(o.t, 'USD', { holder_id: holder.id });
  other_wallet = await newWallet(o.t, 'USD', { holder_id: holder.id });
  await fund(o.t, wallet, '100.00');
});
afterAll(() => o.close());

describe('the OAuth flow', () => {
  it('serves RFC 8414 metadata with PKCE S256 and the partner scopes', async () => {
    const response = await fetch(`${o.base}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      issuer: `${o.base}/oauth`,
      authorization_endpoint: `${o.base}/oauth/auth`,
      token_endpoint: `${o.base}/oauth/token`,
      introspection_endpoint: `${o.base}/oauth/token/introspection`,
      revocation_endpoint: `${o.base}/oauth/token/revocation`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    // Tokens are bearer tokens only: DPoP is not offered (the API does not check proofs).
    expect(metadata.dpop_signing_alg_values_supported).toBeUndefined();
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['wallets:read', 'transactions:read', 'payments:write']),
    );
  });

  it('goes from authorize to a consent, tokens, API calls, a refresh and a revocation', async () => {
    const app = await registerApp(o);
    const pkce = newPkce();
    const { code, callback } = await consentThrough(o, authorizeUrl(o, app, pkce), holder, [wallet]);
    expect(callback.searchParams.get('state')).toBe('state-123');
    expect(callback.searchParams.get('iss')).toBe(`${o.base}/oauth`);

    const tokens = await exchangeCode(o, app, code, pkce);
    expect(tokens.scope.split(' ').sort()).toEqual(['payments:write', 'transactions:read', 'wallets:read']);
    // Codes and tokens are stored by their digest: a dump holds none that could be used.
    const dump = await o.t.db.pool.query<{ rows: string }>(
      "SELECT string_agg(p::text, ' ') AS rows FROM oauth_payloads p",
    );
    for (const value of [code, tokens.access_token, tokens.refresh_token])
      expect(dump.rows[0]?.rows).not.toContain(value);
    const seen = await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${wallet}`);
    expect(seen.status).toBe(200);
    expect(((await seen.json()) as { balance: { available: string } }).balance.available).toBe('100.00');

    const consents = (await (
      await fetch(`${o.base}/v1/consents?holder_id=${holder.id}`, {
        headers: { authorization: `Bearer ${o.t.test_key}` },
      })
    ).json()) as { data: { id: string; wallet_ids: string[]; status: string }[] };
    const consent = consents.data[0];
    expect(consent).toMatchObject({ wallet_ids: [wallet], status: 'active' });

    const refreshed = await tokenRequest(o, app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const renewed = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await withToken(o, renewed.access_token, 'GET', `/v1/wallets/${wallet}`)).status).toBe(200);

    const revoked = await fetch(`${o.base}/v1/consents/${consent?.id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.t.test_key}` },
    });
    expect(revoked.status).toBe(200);
    const refused = await withToken(o, renewed.access_token, 'GET', `/v1/wallets/${wallet}`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('invalid_access_token');
    const again = await tokenRequest(o, app, {
      grant_type: 'refresh_token',
      refresh_token: renewed.refresh_token,
    });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('binds the token to the consented wallets (another wallet of the same holder is 404) and keeps no login_hint', async () => {
    const app = await registerApp(o);
    const pkce = newPkce();
    const url = authorizeUrl(o, app, pkce, { login_hint: holder.email });
    // The app's login_hint (an email) is not kept by the authorization server, even mid-flow.
    const browser = new Browser();
    expect((await browser.go(url)).status).toBe(200);
    const stored = await o.t.db.pool.query<{ rows: string }>(
      "SELECT string_agg(p::text, ' ') AS rows FROM oauth_payloads p",
    );
    expect(stored.rows[0]?.rows).toContain('state-123');
    const { code } = await consentThrough(o, url, holder, [wallet], browser);
    const tokens = await exchangeCode(o, app, code, pkce);
    expect((await withToken(o, tokens.access_token, 'GET', `/v1/wallets/${other_wallet}`)).status).toBe(404);
    expect(stored.rows[0]?.rows).not.toContain(holder.email);
  });
});
