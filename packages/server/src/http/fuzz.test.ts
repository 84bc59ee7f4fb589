import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/verify.js';
import { verifyLedger } from '../ledger/verify.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { funded, newWallet, transfer } from '../test-support/money.js';

let t: TestApp;
let operations: { path: string; example: unknown }[] = [];
let real_ids: string[] = [];
let agent_key = '';

beforeAll(async () => {
  t = await createTestApp();
  const document = (await t.request({ method: 'GET', url: '/openapi.json', key: null })).json<{
    paths: Record<
      string,
      { post?: { requestBody?: { content: { 'application/json': { schema: { examples?: unknown[] } } } } } }
    >;
  }>();
  operations = Object.entries(document.paths)
    .filter(([path, methods]) => path.startsWith('/v1/') && methods.post !== undefined)
    .map(([path, methods]) => ({
      path,
      example: methods.post?.requestBody?.content['application/json'].schema.examples?.[0] ?? {},
    }));
  // Real objects, so that fuzzed requests also reach the logic behind the id lookups.
  const wallet = await funded(t, '1000.00');
  const other = await newWallet(t);
  const hold = await transfer(t, {
    source_wallet_id: wallet,
    destination_wallet_id: other,
    amount: '5.00',
    hold: true,
  });
  const holder = await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'Fuzz' } });
  real_ids = [wallet, other, hold.json().id, holder.json().id];
  // A key with every check on: requests of it go through restrictions, the policy and a risk rule.
  agent_key = (
    await createKey(t, {
      restrictions: { wallet_ids: [wallet] },
      spend_policy: { limits: [{ currency: 'USD', daily_max: '100.00', approval_above: '50.00' }] },
    })
  ).secret;
  const rule = {
    name: 'fuzz',
    type: 'velocity',
    action: 'flag',
    currency: 'USD',
    subject: 'wallet',
    window_s: 60,
    count_max: 5,
  };
  await t.request({ method: 'POST', url: '/v1/risk_rules', payload: rule });
});
afterAll(() => t.close());

const amounts = fc.oneof(
  fc.constantFrom('0', '-1', '1e3', '0.001', '1.', '.5', '00.10', ' 1', '1,00', 'NaN', '1'.repeat(60), '١٢'),
  fc.stringMatching(/^-?\d{0,45}(\.\d{0,20})?$/),
  fc.double(),
  fc.bigInt().map((value) => value.toString()),
);
const ids = fc.oneof(
  fc.constantFrom('', 'wal_', '../../etc', '%00', 'x'.repeat(300), 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h'),
  fc.string({ maxLength: 80 }),
  fc.stringMatching(/^[a-z]{2,5}_[0-9a-z]{26}$/),
);
const junk: fc.Arbitrary<unknown> = fc.oneof(
  amounts,
  ids,
  fc.constantFrom(null, true, [], {}, { __proto__: { admin: true } }, -0, 1e308),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A body: random JSON, or the endpoint's example with fields replaced, added or removed. */
function bodyFor(example: unknown): fc.Arbitrary<unknown> {
  const mutated = fc
    .record({
      field: fc.string({ maxLength: 3 }),
      value: junk,
      drop: fc.boolean(),
      use_real: fc.constantFrom(...(real_ids.length > 0 ? real_ids : ['x'])),
    })
    .map(({ field, value, drop, use_real }) => {
      const base = JSON.parse(
        JSON.stringify(example ?? {}).replace(/wal_01jd0w3n3w8m5t5vq6fz1y2k3h/g, use_real),
      );
      if (base === null || typeof base !== 'object' || Array.isArray(base)) return value;
      const keys = Object.keys(base);
      const key = keys.length > 0 && field.length < 2 ? (keys[field.length % keys.length] as string) : field;
      if (drop) delete base[key];
      else base[key] = value;
      return base;
    });
  return fc.oneof(mutated, junk, fc.constant(example));
}

interface Case {
  operation: { path: string; example: unknown };
  id: string;
  body: unknown;
  raw: string | undefined;
  content_type: string | undefined;
  idempotency_key: string | undefined;
  version: string | undefined;
  as: 'test' | 'live' | 'agent';
}

function caseArbitrary(): fc.Arbitrary<Case> {
  return fc
    .constantFrom(...operations)
    .chain((operation) =>
      fc.record({
        operation: fc.constant(operation),
        id: fc.oneof(ids, fc.constantFrom(...real_ids)),
        body: bodyFor(operation.example),
        raw: fc.option(
          fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"a":', '[1,', '\u0000', 'null')),
          { freq: 8 },
        ),
        content_type: fc.option(
          fc.constantFrom(
            'application/json',
            'text/plain',
            'application/json; charset=latin1',
            'multipart/form-data',
            '',
          ),
          { freq: 4 },
        ),
        idempotency_key: fc.option(
          fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('ok-key', '\u00e9', ' ')),
          { freq: 3 },
        ),
        version: fc.option(fc.constantFrom('2026-11-01', 'latest', '', '2026-13-45'), { freq: 4 }),
        as: fc.constantFrom('test' as const, 'live' as const, 'agent' as const),
      }),
    )
    .map((value) => ({
      ...value,
      raw: value.raw ?? undefined,
      content_type: value.content_type ?? undefined,
      idempotency_key: value.idempotency_key ?? undefined,
      version: value.version ?? undefined,
    }));
}

function safeHeader(value: string): string {
  // Header values cannot carry control characters at all; Node refuses them before any server sees them.
  return value.replace(/[^\x20-\x7e]/g, '?');
}

describe('fuzzing every POST endpoint', () => {
  it('never answers 5xx, always answers problems as problem+json, and leaves the books and the chain sound', async () => {
    expect(operations.length).toBeGreaterThan(35);
    let count = 0;
    await fc.assert(
      fc.asyncProperty(caseArbitrary(), async (c) => {
        count += 1;
        const url = c.operation.path.replace(/\{[a-z_]+\}/g, encodeURIComponent(c.id) || 'x');
        const headers: Record<string, string> = {};
        if (c.content_type !== undefined) headers['content-type'] = c.content_type;
        else headers['content-type'] = 'application/json';
        if (c.idempotency_key !== undefined) headers['idempotency-key'] = safeHeader(c.idempotency_key);
        if (c.version !== undefined) headers['purse-version'] = c.version;
        const response = await t.request({
          method: 'POST',
          url,
          headers,
          payload: c.raw ?? JSON.stringify(c.body),
          key: { test: t.test_key, live: t.live_key, agent: agent_key }[c.as],
        });
        expect(response.statusCode, `${url} ${response.body}`).toBeLessThan(500);
        if (response.statusCode >= 400) {
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(response.json()).toMatchObject({ status: response.statusCode, code: expect.any(String) });
        }
      }),
      { numRuns: 3000, seed: 20261121 },
    );
    expect(count).toBe(3000);
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    expect(await verifyAuditChain(t.db.pool)).toEqual([]);
  }, 120_000);
});
