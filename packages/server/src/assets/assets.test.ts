import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface Asset {
  id: string;
  object: string;
  livemode: boolean;
  code: string;
  scale: number;
  name: string;
  custom: boolean;
  created_at: string;
}

interface AssetList {
  object: string;
  data: Asset[];
  has_more: boolean;
}

async function listPage(query: string, key?: string): Promise<AssetList> {
  const response = await t.request({
    method: 'GET',
    url: `/v1/assets?${query}`,
    ...(key === undefined ? {} : { key }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<AssetList>();
}

async function assetRows(): Promise<unknown[]> {
  return (await t.db.pool.query('SELECT * FROM assets ORDER BY livemode, code')).rows;
}

function createAsset(payload: object, key?: string): Promise<LightMyRequestResponse> {
  return t.request({ method: 'POST', url: '/v1/assets', payload, ...(key === undefined ? {} : { key }) });
}

function expectProblem(response: LightMyRequestResponse, status: number, code: string, param?: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json<{ status: number; code: string; param?: string }>();
  expect(body.status).toBe(status);
  expect(body.code).toBe(code);
  if (param !== undefined) expect(body.param).toBe(param);
}

/** A create that must fail: checks the problem and that the assets table did not change. */
async function expectRefused(payload: object, status: number, code: string, param: string): Promise<void> {
  const before = await assetRows();
  expectProblem(await createAsset(payload), status, code, param);
  expect(await assetRows()).toEqual(before);
}

describe('built-in assets', () => {
  it('lists the built-ins in code order with their scales', async () => {
    const page = await listPage('');
    expect(page.object).toBe('list');
    expect(page.has_more).toBe(false);
    const codes = page.data.map((asset) => asset.code);
    expect(codes).toEqual([...codes].sort());
    const scales = Object.fromEntries(page.data.map((asset) => [asset.code, asset.scale]));
    expect(scales).toMatchObject({ USD: 2, EUR: 2, JPY: 0, KWD: 3, BTC: 8, ETH: 18, USDC: 6 });
    for (const asset of page.data) {
      expect(asset).toMatchObject({ id: asset.code, object: 'asset', livemode: false, custom: false });
    }
  });

  it('pages by code with limit and starting_after, without gaps or repeats', async () => {
    const all = (await listPage('')).data.map((asset) => asset.code);
    const seen: string[] = [];
    let query = 'limit=7';
    for (;;) {
      const page = await listPage(query);
      expect(page.data.length).toBeLessThanOrEqual(7);
      seen.push(...page.data.map((asset) => asset.code));
      if (!page.has_more) break;
      query = `limit=7&starting_after=${seen[seen.length - 1]}`;
    }
    expect(seen).toEqual(all);
    const after_usd = await listPage('limit=1&starting_after=USD');
    expect(after_usd.data.map((asset) => asset.code)).toEqual(['USDC']);
  });

  it('refuses bad paging parameters', async () => {
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/assets?limit=0' }),
      400,
      'invalid_request',
      'limit',
    );
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/assets?limit=101' }),
      400,
      'invalid_request',
      'limit',
    );
    expectProblem(
      await t.request({ method: 'GET', url: '/v1/assets?starting_after=usd' }),
      400,
      'invalid_request',
      'starting_after',
    );
  });

  it('retrieves USD', async () => {
    const response = await t.request({ method: 'GET', url: '/v1/assets/USD' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: 'USD',
      object: 'asset',
      livemode: false,
      code: 'USD',
      scale: 2,
      name: 'US Dollar',
      custom: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
  });

  it('refuses a malformed code in the path', async () => {
    expectProblem(await t.request({ method: 'GET', url: '/v1/assets/usd' }), 400, 'invalid_request', 'code');
  });

  it('answers 404 for an unknown asset code', async () => {
    expectProblem(await t.request({ method: 'GET', url: '/v1/assets/NOPE' }), 404, 'resource_not_found');
  });
});

describe('custom assets', () => {
  it('creates a custom asset, retrievable and listed in code order', async () => {
    const before = (await assetRows()).length;
    const response = await createAsset({ code: 'GEMS', scale: 0, name: 'Gems' });
    expect(response.statusCode, response.body).toBe(201);
    const gems = response.json<Asset>();
    expect(gems).toEqual({
      id: 'GEMS',
      object: 'asset',
      livemode: false,
      code: 'GEMS',
      scale: 0,
      name: 'Gems',
      custom: true,
      created_at: expect.any(String),
    });
    expect((await assetRows()).length).toBe(before + 1);
    expect((await t.request({ method: 'GET', url: '/v1/assets/GEMS' })).json()).toEqual(gems);
    const codes = (await listPage('')).data.map((asset) => asset.code);
    expect(codes.indexOf('GEMS')).toBe(codes.indexOf('GBP') + 1);
  });

  it('refuses a duplicate code with 409 asset_exists, also for a built-in code', async () => {
    await expectRefused({ code: 'GEMS', scale: 2, name: 'Other gems' }, 409, 'asset_exists', 'code');
    await expectRefused({ code: 'USD', scale: 0, name: 'Fake dollar' }, 409, 'asset_exists', 'code');
    const usd = await t.request({ method: 'GET', url: '/v1/assets/USD' });
    expect(usd.json()).toMatchObject({ scale: 2, name: 'US Dollar', custom: false });
  });

  it('refuses a bad code, naming the field', async () => {
    for (const code of ['gems', 'G', 'ABCDEFGHIJKLMNOPQ', '1GEM', 'GE-MS', '', 7]) {
      await expectRefused({ code, scale: 0, name: 'Bad' }, 400, 'invalid_request', 'code');
    }
  });

  it('refuses a bad scale, naming the field', async () => {
    for (const scale of [-1, 19, 1.5, '2', null]) {
      await expectRefused({ code: 'PTS', scale, name: 'Points' }, 400, 'invalid_request', 'scale');
    }
  });

  it('refuses a missing or empty name and unknown fields', async () => {
    await expectRefused({ code: 'PTS', scale: 0 }, 400, 'invalid_request', 'name');
    await expectRefused({ code: 'PTS', scale: 0, name: '' }, 400, 'invalid_request', 'name');
    await expectRefused(
      { code: 'PTS', scale: 0, name: 'Points', symbol: 'P' },
      400,
      'invalid_request',
      'symbol',
    );
  });

  it('keeps custom assets to their mode', async () => {
    const live_list = await listPage('', t.live_key);
    expect(live_list.data.map((asset) => asset.code)).not.toContain('GEMS');
    expect(live_list.data.every((asset) => asset.livemode)).toBe(true);
    const live_gems = await createAsset({ code: 'GEMS', scale: 2, name: 'Live gems' }, t.live_key);
    expect(live_gems.statusCode, live_gems.body).toBe(201);
    expect(live_gems.json()).toMatchObject({ code: 'GEMS', scale: 2, livemode: true, custom: true });
    const test_gems = await t.request({ method: 'GET', url: '/v1/assets/GEMS' });
    expect(test_gems.json()).toMatchObject({ scale: 0, name: 'Gems', livemode: false });
  });

  it('answers 404 for a test-mode custom asset fetched with the live key', async () => {
    expect((await createAsset({ code: 'TOKENS', scale: 0, name: 'Tokens' })).statusCode).toBe(201);
    const live_get = await t.request({ method: 'GET', url: '/v1/assets/TOKENS', key: t.live_key });
    expectProblem(live_get, 404, 'resource_not_found');
  });
});
