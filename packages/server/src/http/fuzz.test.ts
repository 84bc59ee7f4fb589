import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/verify.js';
import { verifyLedger } from '../ledger/verify.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createKey } from '../test-support/keys.js';
import { funded, newWallet, transfer } from '../test-support/money.js';

/**
 * Fuzzes every POST and GET endpoint of the OpenAPI document with bodies of each schema's shape,
 * mutated, and with the input classes of issue 13 defect 12: NUL and unpaired surrogates in
 * fields, ids and queries, leap seconds and out-of-range timestamps, amounts at and above the
 * largest, duplicate fields, non-UTF-8 charsets. No answer may be a 5xx, every refusal is a
 * problem document, and every JSON success body matches its route's response schema.
 */
let t: TestApp;
let operations: Write[] = [];
let reads: Read[] = [];
let real_ids: string[] = [];
let agent_key = '';
let responses: ResponseSchemas;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
  schema: { type?: string; default?: unknown; format?: string; anyOf?: { enum?: string[] }[] };
}
/** The part of a JSON schema that `schemaValue` reads. */
interface Schema {
  type?: string;
  format?: string;
  examples?: unknown[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  minimum?: number;
  maximum?: number;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: { 'application/json'?: { schema?: Schema } } };
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: object;
}
/** A POST endpoint: an arbitrary body of its schema's shape, and one such body. */
interface Write {
  path: string;
  body: fc.Arbitrary<unknown>;
  example: unknown;
}
/** A GET endpoint and its query parameters, as the OpenAPI document declares them. */
interface Read {
  path: string;
  query: Parameter[];
}

beforeAll(async () => {
  t = await createTestApp();
  const document = (await t.request({ method: 'GET', url: '/openapi.json', key: null })).json<Document>();
  operations = Object.entries(document.paths)
    .filter(([path, methods]) => path.startsWith('/v1/') && methods.post !== undefined)
    .map(([path, methods]) => {
      const body = schemaValue(methods.post?.requestBody?.content?.['application/json']?.schema ?? {});
      return { path, body, example: fc.sample(body, { numRuns: 1, seed: 1 })[0] };
    });
  // The event stream never ends on its own; it has tests of its own (events/stream.test.ts).
  reads = Object.entries(document.paths)
    .filter(([path, methods]) => path.startsWith('/v1/') && methods.get !== undefined)
    .filter(([path]) => path !== '/v1/events/stream')
    .map(([path, methods]) => ({
      path,
      query: (methods.get?.parameters ?? []).filter((parameter) => parameter.in === 'query'),
    }));
  responses = new ResponseSchemas(document);
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

/**
 * The 2xx response schemas of the OpenAPI document, compiled with ajv: every JSON success body
 * must match the schema its route declares (and a route that answers JSON must declare one).
 */
class ResponseSchemas {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction | undefined>();
  /** Success bodies checked so far, so a run that checked none cannot pass unnoticed. */
  checked = 0;

  constructor(private readonly document: Document) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    (formats as unknown as (ajv: Ajv) => Ajv)(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: document.components });
  }

  check(method: 'get' | 'post', path: string, response: LightMyRequestResponse): void {
    if (response.statusCode >= 300 || !/^application\/json/.test(String(response.headers['content-type'])))
      return;
    const validate = this.validator(method, path, response.statusCode);
    expect(validate, `${method} ${path} answers ${response.statusCode} JSON without a schema`).toBeDefined();
    this.checked += 1;
    const body: unknown = response.json();
    expect(
      validate?.(body),
      `${method} ${path}: ${JSON.stringify(validate?.errors)} in ${response.body}`,
    ).toBe(true);
  }

  private validator(method: 'get' | 'post', path: string, status: number): ValidateFunction | undefined {
    const key = `${method} ${path} ${status}`;
    if (!this.compiled.has(key)) {
      const schema =
        this.document.paths[path]?.[method]?.responses?.[String(status)]?.content?.['application/json']
          ?.schema;
      const rebased =
        schema === undefined
          ? undefined
          : JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));
      this.compiled.set(key, rebased === undefined ? undefined : this.ajv.compile(rebased));
    }
    return this.compiled.get(key);
  }
}

/** Any UTF-16 code units, NUL and unpaired surrogates included. */
const raw_text = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)),
  maxLength: 20,
});
/** Text PostgreSQL cannot store, alone or around ordinary text (issue 13, defect 12). */
const unstorable = fc.oneof(
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '\ude00y', 'wal_\u0000'),
  raw_text,
);
/** Timestamps: leap seconds, out of range years, impossible dates, and ordinary ones. */
const timestamps = fc.oneof(
  fc.constantFrom(
    '2016-12-31T23:59:60Z',
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00+05:00',
    '1969-12-31T23:59:59Z',
    '9999-12-31T23:59:59-01:00',
    '+010000-01-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:00:00.123456789Z',
    '2026-01-01',
    '1970-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
  ),
  fc
    .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
    .map((date) => date.toISOString()),
);
const amounts = fc.oneof(
  fc.constantFrom('0', '-1', '1e3', '0.001', '1.', '.5', '00.10', ' 1', '1,00', 'NaN', '1'.repeat(60), '١٢'),
  // The largest amount, one minor unit above it, and the old bound (10^38 minor units).
  fc.constantFrom('10000000000000000000000000.00', '10000000000000000000000000.01', `${'9'.repeat(36)}.99`),
  fc.stringMatching(/^-?\d{0,45}(\.\d{0,20})?$/),
  fc.double(),
  fc.bigInt().map((value) => value.toString()),
);
const ids = fc.oneof(
  fc.constantFrom('', 'wal_', '../../etc', '%00', 'x'.repeat(300), 'wal_01jd0w3n3w8m5t5vq6fz1y2k3h'),
  fc.string({ maxLength: 80 }),
  fc.stringMatching(/^[a-z]{2,5}_[0-9a-z]{26}$/),
  unstorable,
);
const junk: fc.Arbitrary<unknown> = fc.oneof(
  amounts,
  ids,
  timestamps,
  unstorable,
  fc.constantFrom(null, true, [], {}, { __proto__: { admin: true } }, -0, 1e308, '*', { '\u0000': 'x' }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A path segment for any id: lone surrogates, which encodeURIComponent refuses, as their WTF-8 bytes. */
function segment(id: string): string {
  if (id === '') return 'x';
  return [...id]
    .map((char) => {
      try {
        return encodeURIComponent(char);
      } catch {
        const unit = char.charCodeAt(0);
        const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)];
        return bytes.map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
      }
    })
    .join('');
}

/** The same JSON object with its first field given a second time, first with another value. */
function withDuplicateField(example: unknown): string | undefined {
  if (example === null || typeof example !== 'object' || Array.isArray(example)) return undefined;
  const [first] = Object.keys(example);
  if (first === undefined) return undefined;
  return `{${JSON.stringify(first)}:"other",${JSON.stringify(example).slice(1)}`;
}

/** A future time within a day, for fields that must lie ahead (holds, escrow dates, expiries). */
const soon = new Date(Date.now() + 3_600_000).toISOString();

/**
 * Values of a request body schema: its examples where it gives them, else a value of its type;
 * optional fields come and go. The example wallet id stands for a real wallet (see `bodyFor`).
 */
function schemaValue(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.examples !== undefined && schema.examples.length > 0) return fc.constantFrom(...schema.examples);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  if (schema.anyOf !== undefined && schema.anyOf.length > 0)
    return fc.oneof(...schema.anyOf.map(schemaValue));
  switch (schema.type) {
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      const fields = Object.fromEntries(properties.map(([name, property]) => [name, schemaValue(property)]));
      return fc.record(fields, { requiredKeys: schema.required ?? [] });
    }
    case 'array': {
      const length_min = schema.minItems ?? 0;
      return fc.array(schemaValue(schema.items ?? {}), {
        minLength: length_min,
        maxLength: Math.max(length_min, 2),
      });
    }
    case 'string':
      if (schema.format === 'date-time') return fc.constant(soon);
      if (schema.format === 'email') return fc.constant('fuzz@example.com');
      return fc.constant('fuzz');
    case 'integer':
    case 'number': {
      const low = schema.minimum ?? 0;
      return fc.integer({ min: low, max: Math.min(schema.maximum ?? low + 100, low + 100) });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.constant({});
  }
}

/** A body: random JSON, or one of the endpoint's shape, as it is or with a field replaced, added or removed. */
function bodyFor(operation: Write): fc.Arbitrary<unknown> {
  const real = fc.constantFrom(...(real_ids.length > 0 ? real_ids : ['x']));
  const withReal = (base: unknown, use_real: string): unknown =>
    JSON.parse(JSON.stringify(base ?? {}).replace(/wal_01jd0w3n3w8m5t5vq6fz1y2k3h/g, use_real));
  const mutated = fc
    .record({
      example: operation.body,
      field: fc.string({ maxLength: 3 }),
      value: junk,
      drop: fc.boolean(),
      use_real: real,
    })
    .map(({ example, field, value, drop, use_real }) => {
      const base = withReal(example, use_real) as Record<string, unknown>;
      if (base === null || typeof base !== 'object' || Array.isArray(base)) return value;
      const keys = Object.keys(base);
      const key = keys.length > 0 && field.length < 2 ? (keys[field.length % keys.length] as string) : field;
      if (drop) delete base[key];
      else base[key] = value;
      return base;
    });
  const intact = fc.tuple(operation.body, real).map(([example, use_real]) => withReal(example, use_real));
  return fc.oneof(
    { weight: 4, arbitrary: mutated },
    { weight: 1, arbitrary: junk },
    { weight: 2, arbitrary: intact },
  );
}

interface Case {
  path: string;
  id: string;
  body: unknown;
  raw: string | undefined;
  content_type: string | undefined;
  idempotency_key: string | undefined;
  version: string | undefined;
  as: 'test' | 'live' | 'agent';
}

function caseArbitrary(): fc.Arbitrary<Case> {
  return fc.constantFrom(...operations).chain((operation) =>
    fc.record({
      path: fc.constant(operation.path),
      id: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...idsFor(operation.path)) },
        { weight: 1, arbitrary: ids },
      ),
      body: bodyFor(operation),
      raw: rarely(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.constantFrom('{', '{"a":', '[1,', '\u0000', 'null', '{"a":1,"a":2}', '{"m":{"k":"\\u0000"}}'),
          fc.constant(withDuplicateField(operation.example) ?? '{"a":1,"a":1}'),
        ),
      ),
      content_type: rarely(
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/json; charset=latin1',
          'application/json; charset=utf-16',
          'application/json; charset="UTF-8"',
          'multipart/form-data',
          '',
        ),
      ),
      idempotency_key: rarely(
        fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('ok-key', '\u00e9', ' ')),
      ),
      version: rarely(fc.constantFrom('2026-11-01', 'latest', '', '2026-13-45')),
      as: fc.constantFrom('test' as const, 'live' as const, 'agent' as const),
    }),
  );
}

/** A header or raw body in one case of five: most cases send the body of the schema's shape. */
function rarely<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 1, arbitrary: value }, { weight: 4, arbitrary: fc.constant(undefined) });
}

function safeHeader(value: string): string {
  // Header values cannot carry control characters at all; Node refuses them before any server sees them.
  return value.replace(/[^\x20-\x7e]/g, '?');
}

/** No 5xx; every refusal an RFC 9457 problem with its status and a code. */
function expectSound(response: LightMyRequestResponse, url: string): void {
  expect(response.statusCode, `${url} ${response.body}`).toBeLessThan(500);
  if (response.statusCode >= 400) {
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: response.statusCode, code: expect.any(String) });
  }
}

/** A value for a query parameter: of its declared kind, or anything at all. */
function queryValue(parameter: Parameter): fc.Arbitrary<string> {
  const declared = parameter.schema.anyOf?.flatMap((option) => option.enum ?? []) ?? [];
  const typed =
    parameter.schema.format === 'date-time'
      ? timestamps
      : parameter.schema.type === 'integer'
        ? fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.constantFrom('1e2', '0x10', ''))
        : parameter.schema.type === 'boolean'
          ? fc.constantFrom('true', 'false', '1', 'yes')
          : declared.length > 0
            ? fc.constantFrom(...declared)
            : fc.oneof(
                fc.constantFrom(...real_ids),
                fc.constantFrom('*', 'transfer.*', 'nope.*', 'holder.created'),
              );
  return fc.oneof(
    { weight: 3, arbitrary: typed },
    { weight: 1, arbitrary: fc.oneof(unstorable, ids, timestamps).map(String) },
  );
}

interface ReadCase {
  read: Read;
  id: string;
  query: [string, string][];
  as: 'test' | 'live' | 'agent';
}

function readArbitrary(): fc.Arbitrary<ReadCase> {
  return fc
    .constantFrom(...reads)
    .chain((read) =>
      fc.record({
        read: fc.constant(read),
        id: fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...idsFor(read.path)) },
          { weight: 1, arbitrary: ids },
        ),
        query: fc.tuple(
          ...read.query.map((parameter) =>
            rarely(queryValue(parameter).map((value): [string, string] => [parameter.name, value])),
          ),
          rarely(fc.tuple(fc.oneof(ids, unstorable), fc.oneof(ids, unstorable))),
        ),
        as: fc.constantFrom('test' as const, 'live' as const, 'agent' as const),
      }),
    )
    .map(({ query, ...rest }) => ({
      ...rest,
      query: query.filter((pair): pair is [string, string] => pair !== undefined),
    }));
}

/** The real ids that fit a path (a wallet's for /v1/wallets/{id}), else every real id. */
function idsFor(path: string): string[] {
  const prefix = { wallets: 'wal_', transfers: 'tr_', holders: 'hol_' }[path.split('/')[2] ?? ''];
  const fitting = real_ids.filter((id) => prefix !== undefined && id.startsWith(prefix));
  return fitting.length > 0 ? fitting : real_ids;
}

/** A query string for any text, lone surrogates included (URLSearchParams would replace them). */
function queryString(pairs: readonly [string, string][]): string {
  return pairs.map(([name, value]) => `${segment(name)}=${segment(value)}`).join('&');
}

describe('fuzzing every POST endpoint', () => {
  it('never answers 5xx, always answers problems as problem+json, and leaves the books and the chain sound', async () => {
    expect(operations.length).toBeGreaterThan(35);
    let count = 0;
    await fc.assert(
      fc.asyncProperty(caseArbitrary(), async (c) => {
        count += 1;
        const url = c.path.replace(/\{[a-z_]+\}/g, segment(c.id));
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
        expectSound(response, url);
        responses.check('post', c.path, response);
      }),
      { numRuns: 3000, seed: 20261121 },
    );
    expect(count).toBe(3000);
    // Most fuzzed writes are refused; some must succeed, or their bodies would go unchecked.
    expect(responses.checked).toBeGreaterThan(20);
    expect(await verifyLedger(t.db.pool)).toEqual([]);
    expect(await verifyAuditChain(t.db.pool)).toEqual([]);
  }, 120_000);
});

describe('fuzzing every GET endpoint', () => {
  it('never answers 5xx, answers problems as problem+json, and every 2xx matches its response schema', async () => {
    expect(reads.length).toBeGreaterThan(35);
    const before = responses.checked;
    await fc.assert(
      fc.asyncProperty(readArbitrary(), async (c) => {
        const path = c.read.path.replace(/\{[a-z_]+\}/g, segment(c.id));
        const url = c.query.length === 0 ? path : `${path}?${queryString(c.query)}`;
        const key = { test: t.test_key, live: t.live_key, agent: agent_key }[c.as];
        const response = await t.request({ method: 'GET', url, key });
        expectSound(response, url);
        responses.check('get', c.read.path, response);
      }),
      { numRuns: 1500, seed: 20261201 },
    );
    // About a sixth of 1,500 reads succeed (most ids are made up); enough to check every read's schema.
    expect(responses.checked - before).toBeGreaterThan(200);
  }, 120_000);

  it('every list answers its schema with no parameters but the required ones, and every object read answers its schema', async () => {
    for (const read of reads.filter((candidate) => !candidate.path.includes('{'))) {
      // A required parameter without a default (search's q) takes the document's example.
      const required = read.query
        .filter((parameter) => parameter.required === true && parameter.schema.default === undefined)
        .map((parameter) => `${parameter.name}=${encodeURIComponent(String(parameter.example))}`);
      const url = required.length === 0 ? read.path : `${read.path}?${required.join('&')}`;
      const response = await t.request({ method: 'GET', url });
      expect(response.statusCode, `${read.path} ${response.body}`).toBe(200);
      responses.check('get', read.path, response);
    }
    for (const [prefix, path] of [
      ['wal_', '/v1/wallets/{id}'],
      ['tr_', '/v1/transfers/{id}'],
      ['hol_', '/v1/holders/{id}'],
    ] as const) {
      const id = real_ids.find((candidate) => candidate.startsWith(prefix)) ?? '';
      const response = await t.request({ method: 'GET', url: path.replace('{id}', id) });
      expect(response.statusCode, response.body).toBe(200);
      responses.check('get', path, response);
    }
  });
});

describe('a field given twice', () => {
  it('is 400 invalid_json naming it, on every POST endpoint with fields', async () => {
    for (const operation of operations) {
      const payload = withDuplicateField(operation.example);
      if (payload === undefined) continue;
      const url = operation.path.replace(/\{[a-z_]+\}/g, real_ids[0] ?? 'x');
      const response = await t.request({
        method: 'POST',
        url,
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.statusCode, `${url} ${response.body}`).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'invalid_json',
        param: Object.keys(operation.example as object)[0],
      });
    }
  });
});
