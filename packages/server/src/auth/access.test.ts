import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealAudit } from '../audit/seal.js';
import { open } from '../crypto/keyring.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { balanceOf, expectProblem, funded, newWallet, transfer, usd } from '../test-support/money.js';
import { restricted_routes } from './restricted-routes.js';
import { resources } from './scopes.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface Operation {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  route: string;
}

/** Every /v1 operation of the OpenAPI document, with a made-up id in its path. */
async function operations(): Promise<Operation[]> {
  const document = (await t.request({ method: 'GET', url: '/openapi.json', key: null })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  return Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase() as Operation['method'],
        url: path.replace(/\{[a-z_]+\}/g, 'xyz_01jd0w3n3w8m5t5vq6fz1y2k3h'),
        route: `${method.toUpperCase()} ${path.replace(/\{([a-z_]+)\}/g, ':$1')}`,
      })),
    );
}

describe('scopes, per endpoint', () => {
  it('refuses every endpoint to a key without its scope, naming the scope, and lets the scope through', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(60);
    const assets_only = await createKey(t, { scopes: ['assets:read'] });
    const reports_only = await createKey(t, { scopes: ['reports:read'] });
    const audit_before = await t.db.pool.query('SELECT count(*)::int AS n FROM audit_logs');
    const needed = new Map<string, string>();
    for (const op of ops) {
      const outsider = op.url.startsWith('/v1/assets') ? reports_only : assets_only;
      const refused = await t.request({ method: op.method, url: op.url, key: outsider.secret, payload: {} });
      expectProblem(refused, 403, 'insufficient_scope', refused.json().param);
      const scope: string = refused.json().param;
      expect(scope, op.route).toMatch(
        new RegExp(`^(${resources.join('|')}):${op.method === 'GET' ? 'read' : 'write'}$`),
      );
      needed.set(op.route, scope);
    }
    // A key holding exactly that scope passes the scope check (whatever the endpoint says next).
    const keys = new Map<string, string>();
    for (const scope of new Set(needed.values()))
      keys.set(scope, (await createKey(t, { scopes: [scope] })).secret);
    // The event stream stays open by design; its scope is tested over a socket in events/stream.test.ts.
    // A route may need a second scope (a webhook endpoint needs events:read too): it must name it
    // in its refusal, and pass once the key holds both.
    for (const op of ops.filter((op) => op.url !== '/v1/events/stream')) {
      const ask = (key: string) => t.request({ method: op.method, url: op.url, key, payload: {} });
      let response = await ask(keys.get(needed.get(op.route) ?? '') ?? '');
      if (response.statusCode === 403 && response.json().code === 'insufficient_scope') {
        const both = [needed.get(op.route) ?? '', response.json().param];
        response = await ask((await createKey(t, { scopes: both })).secret);
      }
      expect(response.statusCode, `${op.route}: ${response.body}`).toBeLessThan(500);
      if (response.statusCode === 403) expect(response.json().code, op.route).not.toBe('insufficient_scope');
    }
    // Every refused POST is in the audit trail, against the key that tried.
    const posts = ops.filter((op) => op.method !== 'GET').length;
    await sealAudit(t.db.pool);
    const refused = await t.db.pool.query(
      "SELECT count(*)::int AS n FROM audit_logs WHERE outcome_code = 'insufficient_scope' AND seq > 0",
    );
    expect(refused.rows[0].n).toBeGreaterThanOrEqual(posts);
    expect(audit_before.rows[0].n).toBeLessThan(refused.rows[0].n);
  });

  it('knows the new resources', async () => {
    for (const scope of ['approvals:write', 'risk_rules:read', 'audit_logs:read'])
      expect((await createKey(t, { scopes: [scope] })).id).toMatch(/^key_/);
  });
});

describe('modes', () => {
  it('hides live approvals, risk rules and audit entries from test keys with 404', async () => {
    const rule = await t.request({
      method: 'POST',
      url: '/v1/risk_rules',
      key: t.live_key,
      payload: { name: 'live', type: 'amount_above', action: 'flag', currency: 'USD', amount: '5.00' },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/risk_rules/${rule.json().id}` }),
      404,
      'resource_not_found',
    );
    const entry = await t.db.pool.query<{ id: string }>(
      'SELECT id FROM audit_logs WHERE livemode ORDER BY seq DESC LIMIT 1',
    );
    const live_entry = entry.rows[0]?.id ?? '';
    expect(live_entry).toMatch(/^aud_/);
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/audit_logs/${live_entry}` }),
      404,
      'resource_not_found',
    );
    const listed = await t.request({ method: 'GET', url: '/v1/audit_logs?limit=100' });
    expect(listed.json().data.every((e: { livemode: boolean }) => !e.livemode)).toBe(true);
    const updated = await t.request({
      method: 'POST',
      url: `/v1/risk_rules/${rule.json().id}`,
      payload: { enabled: false },
    });
    expectProblem(updated, 404, 'resource_not_found');
  });
});

describe('rolling a key', () => {
  it('gives a new secret; the old one works during the grace period, then 401', async () => {
    const key = await createKey(t, { scopes: ['holders:read'] });
    const rolled = await t.request({
      method: 'POST',
      url: `/v1/api_keys/${key.id}/roll`,
      payload: { grace_period_s: 60 },
    });
    expect(rolled.statusCode, rolled.body).toBe(200);
    const body = rolled.json();
    expect(body).toMatchObject({
      id: key.id,
      scopes: ['holders:read'],
      rolled_at: t.clock.now().toISOString(),
    });
    expect(body.secret).toMatch(/^sk_test_/);
    expect(body.secret).not.toBe(key.secret);
    expect(body.previous_secret_expires_at).toBe(new Date(t.clock.now().getTime() + 60_000).toISOString());
    expect((await t.request({ method: 'GET', url: '/v1/holders', key: key.secret })).statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/v1/holders', key: body.secret })).statusCode).toBe(200);
    t.clock.advance(60_001);
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/holders', key: key.secret }),
      401,
      'invalid_api_key',
    );
    expect((await t.request({ method: 'GET', url: '/v1/holders', key: body.secret })).statusCode).toBe(200);
  });

  it('with no grace, cuts the old secret at once; a second roll ends the first one early', async () => {
    const key = await createKey(t, {});
    const first = await t.request({ method: 'POST', url: `/v1/api_keys/${key.id}/roll`, payload: {} });
    expect(first.json().previous_secret_expires_at).toBe(
      new Date(t.clock.now().getTime() + 86_400_000).toISOString(),
    );
    const second = await t.request({
      method: 'POST',
      url: `/v1/api_keys/${key.id}/roll`,
      payload: { grace_period_s: 0 },
    });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json().previous_secret_expires_at).toBeNull();
    for (const old of [key.secret, first.json().secret])
      expectProblem(await t.request({ method: 'GET', url: '/v1/holders', key: old }), 401, 'invalid_api_key');
    expect(
      (await t.request({ method: 'GET', url: '/v1/holders', key: second.json().secret })).statusCode,
    ).toBe(200);
  });

  it('does not keep the new secret in the idempotency record, refuses revoked keys and bad grace periods', async () => {
    const key = await createKey(t, {});
    const rolled = await t.request({
      method: 'POST',
      url: `/v1/api_keys/${key.id}/roll`,
      payload: { grace_period_s: 0 },
      headers: { 'idempotency-key': 'roll-once' },
    });
    const stored = await t.db.pool.query(
      "SELECT response_body FROM idempotency_keys WHERE key = 'roll-once'",
    );
    // Opened: the stored response is sealed, and must not hold the secret even so.
    expect(open('personal', stored.rows[0].response_body)).not.toContain(rolled.json().secret);
    expectProblem(
      await t.request({
        method: 'POST',
        url: `/v1/api_keys/${key.id}/roll`,
        payload: { grace_period_s: 8 * 86_400 },
      }),
      400,
      'invalid_request',
      'grace_period_s',
    );
    await t.request({ method: 'POST', url: `/v1/api_keys/${key.id}/revoke` });
    expectProblem(
      await t.request({ method: 'POST', url: `/v1/api_keys/${key.id}/roll`, payload: {} }),
      409,
      'api_key_revoked',
    );
    expectProblem(
      await t.request({ method: 'POST', url: `/v1/api_keys/${key.id}/roll`, payload: {}, key: t.live_key }),
      404,
      'resource_not_found',
    );
  });
});

describe('last used', () => {
  it('records when a key was last used', async () => {
    const key = await createKey(t, { scopes: ['holders:read'] });
    expect(
      (await t.request({ method: 'GET', url: `/v1/api_keys/${key.id}` })).json().last_used_at,
    ).toBeNull();
    await t.request({ method: 'GET', url: '/v1/holders', key: key.secret });
    await expect
      .poll(
        async () => (await t.request({ method: 'GET', url: `/v1/api_keys/${key.id}` })).json().last_used_at,
      )
      .toBe(t.clock.now().toISOString());
  });
});

describe('key lookups', () => {
  it('look a key up once for a burst of requests that all miss the cache', async () => {
    const key = await createKey(t, { scopes: ['holders:read'] });
    const original = t.db.pool.query.bind(t.db.pool);
    let lookups = 0;
    const counting = ((...args: Parameters<typeof original>) => {
      if (String(args[0]).includes('WHERE secret_hash')) lookups += 1;
      return original(...args);
    }) as typeof original;
    t.db.pool.query = counting;
    try {
      const responses = await Promise.all(
        Array.from({ length: 30 }, () => t.request({ method: 'GET', url: '/v1/holders', key: key.secret })),
      );
      for (const response of responses) expect(response.statusCode).toBe(200);
    } finally {
      t.db.pool.query = original;
    }
    expect(lookups).toBe(1);
  });

  it('answers requests whose pending lookup the cache evicts', async () => {
    const small = await createTestApp({ api_key_cache_entries_max: 1 });
    try {
      const keys = [
        await createKey(small, { scopes: ['holders:read'] }),
        await createKey(small, { scopes: ['holders:read'] }),
      ];
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          small.request({ method: 'GET', url: '/v1/holders', key: keys[i % 2]?.secret ?? '' }),
        ),
      );
      expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(200));
    } finally {
      await small.close();
    }
  });
});

describe('restricted keys', () => {
  it('see and spend only their wallets; other wallets and their objects are 404', async () => {
    const mine = await funded(t, '100.00');
    const other = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const key = await createKey(t, {
      scopes: ['wallets:read', 'transfers:write', 'payouts:write', 'holders:read', 'assets:read'],
      restrictions: { wallet_ids: [mine] },
    });
    const as = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      t.request({ method, url, key: key.secret, ...(payload === undefined ? {} : { payload }) });
    expect((await as('GET', `/v1/wallets/${mine}`)).statusCode).toBe(200);
    expectProblem(await as('GET', `/v1/wallets/${other}`), 404, 'resource_not_found', 'id');
    expectProblem(await as('GET', `/v1/wallets/${other}/transactions`), 404, 'resource_not_found', 'id');
    const paid = await as('POST', '/v1/transfers', {
      source_wallet_id: mine,
      destination_wallet_id: vendor,
      amount: '1.00',
      currency: 'USD',
    });
    expect(paid.statusCode, paid.body).toBe(201);
    expect((await as('GET', `/v1/transfers/${paid.json().id}`)).statusCode).toBe(200);
    const before = await t.db.pool.query('SELECT count(*)::int AS n FROM transfers');
    expectProblem(
      await as('POST', '/v1/transfers', {
        source_wallet_id: other,
        destination_wallet_id: vendor,
        amount: '1.00',
        currency: 'USD',
      }),
      404,
      'resource_not_found',
      'source_wallet_id',
    );
    expect((await t.db.pool.query('SELECT count(*)::int AS n FROM transfers')).rows).toEqual(before.rows);
    const theirs = await transfer(t, {
      source_wallet_id: other,
      destination_wallet_id: vendor,
      amount: '2.00',
    });
    expectProblem(await as('GET', `/v1/transfers/${theirs.json().id}`), 404, 'resource_not_found');
    expectProblem(await as('GET', '/v1/transfers'), 403, 'key_restricted', 'wallet_id');
    expectProblem(
      await as('GET', `/v1/transfers?wallet_id=${other}`),
      404,
      'resource_not_found',
      'wallet_id',
    );
    const listed = await as('GET', `/v1/transfers?wallet_id=${mine}`);
    expect(listed.json().data.map((tr: { id: string }) => tr.id)).toEqual([paid.json().id]);
    const wallets = await as('GET', '/v1/wallets');
    expect(wallets.json().data.map((wallet: { id: string }) => wallet.id)).toEqual([mine]);
    expect((await as('GET', `/v1/wallets?status=frozen`)).json().data).toEqual([]);
    expectProblem(await as('GET', '/v1/holders'), 403, 'key_restricted');
    expect((await as('GET', '/v1/assets')).statusCode).toBe(200);
    expectProblem(
      await as('POST', '/v1/payouts', {
        wallet_id: other,
        amount: '1.00',
        currency: 'USD',
        destination: {
          type: 'bank_account',
          account_holder_name: 'A',
          account_number: '000123456789',
          routing_number: '110000000',
        },
      }),
      404,
      'resource_not_found',
      'wallet_id',
    );
  });

  it('decide from the object, not its text: naming their wallet in metadata grants nothing', async () => {
    const mine = await newWallet(t);
    const other = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const key = await createKey(t, {
      scopes: ['transfers:read', 'payments:read'],
      restrictions: { wallet_ids: [mine] },
    });
    const metadata = { note: mine, [mine]: mine };
    const theirs = await transfer(t, {
      source_wallet_id: other,
      destination_wallet_id: vendor,
      amount: '1.00',
      metadata,
      description: mine,
    });
    expect(theirs.statusCode, theirs.body).toBe(201);
    const payment = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: {
        wallet_id: other,
        amount: '1.00',
        currency: 'USD',
        source: { type: 'card', number: '4242424242424242' },
        metadata,
        description: mine,
      },
    });
    expect(payment.statusCode, payment.body).toBe(201);
    for (const url of [`/v1/transfers/${theirs.json().id}`, `/v1/payments/${payment.json().id}`])
      expectProblem(await t.request({ method: 'GET', url, key: key.secret }), 404, 'resource_not_found');
    const to_mine = await transfer(t, {
      source_wallet_id: other,
      destination_wallet_id: mine,
      amount: '1.00',
    });
    const seen = await t.request({
      method: 'GET',
      url: `/v1/transfers/${to_mine.json().id}`,
      key: key.secret,
    });
    expect(seen.statusCode, seen.body).toBe(200);
  });

  it('learn nothing of a hold or an escrow they do not pay, even one that has ended', async () => {
    const mine = await funded(t, '100.00');
    const other = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const key = await createKey(t, {
      scopes: ['transfers:write', 'escrows:write'],
      restrictions: { wallet_ids: [mine] },
    });
    const held = await transfer(t, {
      source_wallet_id: other,
      destination_wallet_id: vendor,
      amount: '1.00',
      hold: true,
    });
    const escrow = await t.request({
      method: 'POST',
      url: '/v1/escrows',
      payload: { payer_wallet_id: other, payee_wallet_id: vendor, amount: '1.00', currency: 'USD' },
    });
    const as = (url: string, payload: Record<string, unknown> = {}) =>
      t.request({ method: 'POST', url, key: key.secret, payload });
    const capture = `/v1/transfers/${held.json().id}/capture`;
    const cancel = `/v1/escrows/${escrow.json().id}/cancel`;
    for (const [url, payload] of [
      [capture, {}],
      [cancel, {}],
      [`/v1/escrows/${escrow.json().id}/release`, { amount: '1.00' }],
      [`/v1/escrows/${escrow.json().id}/resolve`, { outcome: 'release' }],
    ] as const)
      expectProblem(await as(url, payload), 404, 'resource_not_found', (await as(url, payload)).json().param);
    // Ended: the answer is still that it does not exist, not that it has ended.
    expect((await t.request({ method: 'POST', url: capture, payload: {} })).statusCode).toBe(200);
    expect((await t.request({ method: 'POST', url: cancel, payload: {} })).statusCode).toBe(200);
    expectProblem(await as(capture), 404, 'resource_not_found');
    expectProblem(await as(cancel), 404, 'resource_not_found');
  });

  it("cannot lift an operator's dispute from the payee's side: resolving, resume included, needs the payer's", async () => {
    const payer = await funded(t, '100.00');
    const payee = await newWallet(t);
    const created = await t.request({
      method: 'POST',
      url: '/v1/escrows',
      payload: {
        payer_wallet_id: payer,
        payee_wallet_id: payee,
        amount: '50.00',
        currency: 'USD',
        auto_release_at: new Date(t.clock.now().getTime() + 20_000).toISOString(),
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const dispute = await t.request({
      method: 'POST',
      url: `/v1/escrows/${id}/dispute`,
      payload: { reason: 'fraud' },
    });
    expect(dispute.statusCode, dispute.body).toBe(200);
    const resolve = (key: string, outcome: string) =>
      t.request({ method: 'POST', url: `/v1/escrows/${id}/resolve`, key, payload: { outcome } });
    const payee_key = await createKey(t, {
      scopes: ['escrows:write'],
      restrictions: { wallet_ids: [payee] },
    });
    for (const outcome of ['resume', 'release', 'refund'])
      expectProblem(await resolve(payee_key.secret, outcome), 404, 'resource_not_found', 'id');
    // A key fenced away from the payee cannot re-arm the automatic release to it either.
    const fenced = await createKey(t, {
      scopes: ['escrows:write'],
      spend_policy: { limits: [{ currency: 'USD' }], allowed_destinations: { wallet_ids: [payer] } },
    });
    expectProblem(
      await resolve(fenced.secret, 'resume'),
      403,
      'spend_limit_exceeded',
      'allowed_destinations',
    );
    const escrow = await t.request({ method: 'GET', url: `/v1/escrows/${id}` });
    expect(escrow.json().status).toBe('disputed');
    // The payer's side may: resuming moves nothing and counts nothing.
    const payer_key = await createKey(t, {
      scopes: ['escrows:write'],
      restrictions: { wallet_ids: [payer] },
      spend_policy: { limits: [{ currency: 'USD', per_movement_max: '50.00' }] },
    });
    const resumed = await resolve(payer_key.secret, 'resume');
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json().status).toBe('held');
    expect(await balanceOf(t, payee)).toEqual(usd('0.00'));
    const spent = await t.db.pool.query(
      'SELECT 1 FROM spend_counters WHERE api_key_id = $1 AND spent_minor > 0',
      [payer_key.id],
    );
    expect(spent.rowCount).toBe(0);
  });

  it('restricted to a holder: every wallet of the holder and nothing else', async () => {
    const holder = (await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'Hana' } })).json()
      .id;
    const theirs = await newWallet(t, 'USD', { holder_id: holder });
    const stranger = await newWallet(t);
    const key = await createKey(t, {
      scopes: ['wallets:read', 'holders:read'],
      restrictions: { holder_id: holder },
    });
    expect(
      (await t.request({ method: 'GET', url: `/v1/wallets/${theirs}`, key: key.secret })).statusCode,
    ).toBe(200);
    expect(
      (await t.request({ method: 'GET', url: `/v1/holders/${holder}`, key: key.secret })).statusCode,
    ).toBe(200);
    expectProblem(
      await t.request({ method: 'GET', url: `/v1/wallets/${stranger}`, key: key.secret }),
      404,
      'resource_not_found',
      'id',
    );
    const later = await newWallet(t, 'USD', { holder_id: holder });
    const listed = await t.request({ method: 'GET', url: '/v1/wallets', key: key.secret });
    expect(listed.json().data.map((wallet: { id: string }) => wallet.id)).toEqual([later, theirs]);
    const elsewhere = await t.request({ method: 'GET', url: `/v1/wallets?holder_id=hol_x`, key: key.secret });
    expect(elsewhere.json().data).toEqual([]);
  });

  it("list only the approvals of their own requests (an agent follows what it parked), never another key's", async () => {
    const wallet = await funded(t, '100.00');
    const vendor = await newWallet(t);
    const restricted_agent = (name: string) =>
      createKey(t, {
        name,
        scopes: ['transfers:write', 'approvals:read'],
        restrictions: { wallet_ids: [wallet] },
        spend_policy: { limits: [{ currency: 'USD', approval_above: '1.00' }] },
      });
    const [agent, other] = [await restricted_agent('agent'), await restricted_agent('other')];
    const parked = async (key: string) => {
      const response = await t.request({
        method: 'POST',
        url: '/v1/transfers',
        key,
        payload: { source_wallet_id: wallet, destination_wallet_id: vendor, amount: '5.00', currency: 'USD' },
      });
      expect(response.statusCode, response.body).toBe(202);
      return response.json().id as string;
    };
    const own = await parked(agent.secret);
    await parked(other.secret);
    const list = (query: string) =>
      t.request({ method: 'GET', url: `/v1/approvals${query}`, key: agent.secret });
    const listed = await list('?status=pending');
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().data.map((approval: { id: string }) => approval.id)).toEqual([own]);
    expect((await list(`?api_key_id=${other.id}`)).json().data).toEqual([]);
    const everyone = await t.request({ method: 'GET', url: '/v1/approvals?status=pending' });
    expect(everyone.json().data).toHaveLength(2);
  });

  it('cannot manage keys, and restrictions must name objects of the mode, exactly one kind', async () => {
    const wallet = await newWallet(t);
    const agent = await createKey(t, { restrictions: { wallet_ids: [wallet] } });
    const count = async () => (await t.db.pool.query('SELECT count(*)::int AS n FROM api_keys')).rows[0].n;
    const before = await count();
    expectProblem(
      await t.request({
        method: 'POST',
        url: '/v1/api_keys',
        key: agent.secret,
        payload: { name: 'escape' },
      }),
      403,
      'key_restricted',
    );
    expectProblem(
      await t.request({
        method: 'POST',
        url: `/v1/api_keys/${agent.id}/roll`,
        key: agent.secret,
        payload: {},
      }),
      403,
      'key_restricted',
    );
    for (const restrictions of [{}, { wallet_ids: [wallet], holder_id: 'hol_x' }])
      expectProblem(
        await t.request({ method: 'POST', url: '/v1/api_keys', payload: { name: 'x', restrictions } }),
        400,
        'invalid_request',
        'restrictions',
      );
    expectProblem(
      await t.request({
        method: 'POST',
        url: '/v1/api_keys',
        key: t.live_key,
        payload: { name: 'x', restrictions: { wallet_ids: [wallet] } },
      }),
      404,
      'resource_not_found',
      'restrictions',
    );
    expect(await count()).toBe(before);
  });

  it('closes every route the table does not open', () => {
    for (const [route, access] of Object.entries(restricted_routes)) {
      expect(route).toMatch(/^(GET|POST) \/v1\//);
      expect(access).toBeDefined();
    }
    expect(restricted_routes['POST /v1/api_keys']).toBeUndefined();
    expect(restricted_routes['GET /v1/audit_logs']).toBeUndefined();
  });
});

describe('a policy-bound key on endpoints that settle money others set aside', () => {
  const policy = (allowed: string) => ({
    limits: [{ currency: 'USD', daily_max: '50.00' }],
    allowed_destinations: { wallet_ids: [allowed] },
  });
  const spent = async (key_id: string) =>
    (
      await t.db.pool.query<{ n: string | null }>(
        "SELECT sum(spent_minor)::text AS n FROM spend_counters WHERE api_key_id = $1 AND period = 'day'",
        [key_id],
      )
    ).rows[0]?.n ?? '0';
  const hold = async (source: string, destination: string, amount: string, key?: string) => {
    const placed = await t.request({
      method: 'POST',
      url: '/v1/transfers',
      ...(key === undefined ? {} : { key }),
      payload: {
        source_wallet_id: source,
        destination_wallet_id: destination,
        amount,
        currency: 'USD',
        hold: true,
      },
    });
    expect(placed.statusCode, placed.body).toBe(201);
    return placed.json().id as string;
  };

  it("capturing another key's hold is checked and counted against the capturing key", async () => {
    const source = await funded(t, '100.00');
    const allowed = await newWallet(t);
    const outside = await newWallet(t);
    const key = await createKey(t, { scopes: ['transfers:write'], spend_policy: policy(allowed) });
    const capture = (id: string, payload: Record<string, unknown> = {}) =>
      t.request({ method: 'POST', url: `/v1/transfers/${id}/capture`, key: key.secret, payload });
    const theirs = await hold(source, outside, '10.00');
    expectProblem(await capture(theirs), 403, 'spend_limit_exceeded', 'allowed_destinations');
    expect((await balanceOf(t, outside)).available).toBe('0.00');
    const to_allowed = await hold(source, allowed, '60.00');
    expectProblem(await capture(to_allowed), 403, 'spend_limit_exceeded', 'daily_max');
    const captured = await capture(to_allowed, { amount: '40.00' });
    expect(captured.statusCode, captured.body).toBe(200);
    expect(await spent(key.id)).toBe('4000');
    // Its own hold counts once, when it is captured, not when it is placed.
    const own = await hold(source, allowed, '10.00', key.secret);
    expect(await spent(key.id)).toBe('4000');
    expect((await capture(own)).statusCode).toBe(200);
    expect(await spent(key.id)).toBe('5000');
  });

  it('parks a capture or a cancel above its approval threshold; approving executes and counts it once', async () => {
    const source = await funded(t, '100.00');
    const payee = await newWallet(t);
    const key = await createKey(t, {
      scopes: ['transfers:write', 'escrows:write'],
      spend_policy: { limits: [{ currency: 'USD', daily_max: '50.00', approval_above: '5.00' }] },
    });
    const approve = async (id: string) => {
      const approved = await t.request({ method: 'POST', url: `/v1/approvals/${id}/approve` });
      expect(approved.statusCode, approved.body).toBe(200);
      expect(approved.json().result.status, approved.body).toBe(200);
    };
    const held = await hold(source, payee, '10.00');
    const parked = await t.request({
      method: 'POST',
      url: `/v1/transfers/${held}/capture`,
      key: key.secret,
      payload: {},
    });
    expect(parked.statusCode, parked.body).toBe(202);
    await approve(parked.json().id);
    expect((await balanceOf(t, payee)).available).toBe('10.00');
    expect(await spent(key.id)).toBe('1000');
    const escrow = await t.request({
      method: 'POST',
      url: '/v1/escrows',
      payload: { payer_wallet_id: source, payee_wallet_id: payee, amount: '20.00', currency: 'USD' },
    });
    const cancel = await t.request({
      method: 'POST',
      url: `/v1/escrows/${escrow.json().id}/cancel`,
      key: key.secret,
    });
    expect(cancel.statusCode, cancel.body).toBe(202);
    await approve(cancel.json().id);
    expect((await balanceOf(t, source)).available).toBe('90.00');
    expect(await spent(key.id)).toBe('1000');
  });

  it('cannot pay an escrow to a payee outside its policy by disputing and resolving it', async () => {
    const payer = await funded(t, '100.00');
    const allowed = await newWallet(t);
    const outside = await newWallet(t);
    const key = await createKey(t, { scopes: ['escrows:write'], spend_policy: policy(allowed) });
    const escrow = await t.request({
      method: 'POST',
      url: '/v1/escrows',
      payload: { payer_wallet_id: payer, payee_wallet_id: outside, amount: '30.00', currency: 'USD' },
    });
    expect(escrow.statusCode, escrow.body).toBe(201);
    const as = (action: string, payload: Record<string, unknown>) =>
      t.request({
        method: 'POST',
        url: `/v1/escrows/${escrow.json().id}/${action}`,
        key: key.secret,
        payload,
      });
    expect((await as('dispute', { reason: 'no delivery' })).statusCode).toBe(200);
    expectProblem(
      await as('resolve', { outcome: 'release' }),
      403,
      'spend_limit_exceeded',
      'allowed_destinations',
    );
    expect(await balanceOf(t, outside)).toEqual(usd('0.00'));
    const refunded = await as('resolve', { outcome: 'refund' });
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect(await balanceOf(t, payer)).toEqual(usd('100.00'));
  });
});
