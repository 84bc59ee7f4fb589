import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { openapi_path, openapiDocument } from './openapi-document.js';

interface Operation {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { example?: unknown; examples?: unknown }> };
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('OpenAPI document', () => {
  it('matches the committed openapi.json (run `npm run openapi` after changing a route)', async () => {
    expect(await openapiDocument()).toBe(await readFile(openapi_path, 'utf8'));
  });

  it('describes every operation, with an example body on every write that takes one', async () => {
    const document = JSON.parse(await openapiDocument()) as {
      openapi: string;
      paths: Record<string, Record<string, Operation>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        name: `${method} ${path}`,
        method,
        operation,
      })),
    );
    expect(operations.length).toBeGreaterThan(5);
    for (const { name, method, operation } of operations) {
      expect(operation.summary, name).toBeTruthy();
      expect(operation.description, name).toBeTruthy();
      if (method !== 'post') continue;
      const json = operation.requestBody?.content['application/json'];
      if (json !== undefined) expect(json.example ?? json.examples, name).toBeDefined();
      // The dashboard's sign-in (/dashboard/session) is no API call: it takes no Idempotency-Key.
      if (!name.startsWith('post /v1/')) continue;
      expect(
        operation.parameters?.map((parameter) => parameter.name),
        name,
      ).toContain('Idempotency-Key');
    }
  });

  it('is served at /openapi.json and browsable at /docs', async () => {
    const served = await t.request({ method: 'GET', url: '/openapi.json', key: null });
    expect(served.statusCode).toBe(200);
    expect(served.json().paths['/v1/holders']).toBeDefined();
    const docs = await t.request({ method: 'GET', url: '/docs/', key: null });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });

  it('answers /healthz and /readyz without a key', async () => {
    expect((await t.request({ method: 'GET', url: '/healthz', key: null })).json()).toEqual({ status: 'ok' });
    expect((await t.request({ method: 'GET', url: '/readyz', key: null })).json()).toEqual({
      status: 'ready',
    });
  });
});
