import type { TestProject } from 'vitest/node';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { scratchServer } from '../db/scratch.js';

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
  const server = await scratchServer('test');
  const admin_url = server.admin_url;
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
    await server.stop();
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
