import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbedded } from '../db/embedded.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL URL whose role may create databases. */
    admin_url: string;
    /** A migrated database that each test file clones. */
    template_database: string;
  }
}

/**
 * One PostgreSQL for the whole run: DATABASE_URL when set, else an embedded one in a temporary
 * folder, deleted afterwards. The schema is migrated once into a template that each test file
 * copies (CREATE DATABASE ... TEMPLATE), so files are isolated and start in milliseconds.
 */
export default async function setup(project: TestProject) {
  let stop: () => Promise<void> = async () => {};
  let admin_url = process.env.DATABASE_URL;
  if (admin_url === undefined || admin_url === '') {
    const data_dir = await mkdtemp(path.join(tmpdir(), 'purse-test-'));
    const embedded = await startEmbedded({
      data_dir,
      port: await freePort(),
      persistent: false,
      log: () => undefined,
    });
    admin_url = embedded.url;
    stop = async () => {
      await embedded.stop();
      await rm(data_dir, { recursive: true, force: true });
    };
  }
  const template_database = `purse_template_${process.pid}`;
  const admin = createPool(admin_url, 2);
  await admin.query(`DROP DATABASE IF EXISTS ${template_database}`);
  await admin.query(`CREATE DATABASE ${template_database}`);
  const template = createPool(withDatabase(admin_url, template_database), 2);
  await migrate(template);
  await template.end();
  project.provide('admin_url', admin_url);
  project.provide('template_database', template_database);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template_database}`);
    await admin.end();
    await stop();
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
