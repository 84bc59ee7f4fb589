import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';

let t: TestApp;
const created: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  for (let i = 0; i < 45; i += 1) {
    const response = await t.request({ method: 'POST', url: '/v1/holders', payload: { name: `h${i}` } });
    created.push(response.json().id);
  }
});
afterAll(() => t.close());

async function page(query: string) {
  const response = await t.request({ method: 'GET', url: `/v1/holders?${query}` });
  expect(response.statusCode).toBe(200);
  return response.json() as { object: string; data: { id: string }[]; has_more: boolean };
}

describe('cursor pagination', () => {
  it('lists newest first with a default page of 20', async () => {
    const first = await page('');
    expect(first.object).toBe('list');
    expect(first.data.map((item) => item.id)).toEqual([...created].reverse().slice(0, 20));
    expect(first.has_more).toBe(true);
  });

  it('walks forward with starting_after and back with ending_before', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const current = await page(`limit=10${cursor === undefined ? '' : `&starting_after=${cursor}`}`);
      seen.push(...current.data.map((item) => item.id));
      cursor = current.data.at(-1)?.id;
      if (!current.has_more) break;
    }
    expect(seen).toEqual([...created].reverse());
    const back = await page(`limit=10&ending_before=${created[4]}`);
    expect(back.data.map((item) => item.id)).toEqual(created.slice(5, 15).reverse());
    expect(back.has_more).toBe(true);
    const newest = await page(`limit=10&ending_before=${created[40]}`);
    expect(newest.data.map((item) => item.id)).toEqual(created.slice(41).reverse());
    expect(newest.has_more).toBe(false);
  });

  it('neither skips nor repeats objects while new ones are inserted', async () => {
    const before = new Set(
      (await t.db.pool.query<{ id: string }>('SELECT id FROM holders')).rows.map((row) => row.id),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    let more = true;
    while (more) {
      const [current] = await Promise.all([
        page(`limit=7${cursor === undefined ? '' : `&starting_after=${cursor}`}`),
        t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'late' } }),
        t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'late' } }),
      ]);
      seen.push(...current.data.map((item) => item.id));
      cursor = current.data.at(-1)?.id;
      more = current.has_more;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
  });

  it('refuses bad limits and cursors with 400', async () => {
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      `starting_after=${created[1]}&ending_before=${created[2]}`,
      'starting_after=key_x',
    ]) {
      const response = await t.request({ method: 'GET', url: `/v1/holders?${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    const cursor = await t.request({ method: 'GET', url: '/v1/holders?starting_after=key_x' });
    expect(cursor.json()).toMatchObject({ code: 'invalid_cursor', param: 'starting_after' });
  });
});
