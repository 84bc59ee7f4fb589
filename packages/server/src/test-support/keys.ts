import { expect } from 'vitest';
import type { TestApp } from './app.js';

export interface CreatedKey {
  readonly id: string;
  readonly secret: string;
}

/** Creates an API key with the test admin key (or `as`) and returns its id and secret. */
export async function createKey(
  t: TestApp,
  payload: Record<string, unknown>,
  as?: string,
): Promise<CreatedKey> {
  const response = await t.request({
    method: 'POST',
    url: '/v1/api_keys',
    payload: { name: 'key', ...payload },
    ...(as === undefined ? {} : { key: as }),
  });
  expect(response.statusCode, response.body).toBe(201);
  const body = response.json<{ id: string; secret: string }>();
  return { id: body.id, secret: body.secret };
}
