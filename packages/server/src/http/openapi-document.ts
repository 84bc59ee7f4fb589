import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createPool } from '../db/pool.js';

/** The committed copy at the repository root. */
export const openapi_path = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'openapi.json',
);

/** The OpenAPI document as the server would serve it, formatted for committing. No database is contacted. */
export async function openapiDocument(): Promise<string> {
  const pool = createPool('postgres://127.0.0.1:1/unused', 1);
  const app = await buildApp({ pool, config: loadConfig({}) });
  await app.ready();
  const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  await pool.end();
  return document;
}
