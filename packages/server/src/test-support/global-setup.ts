import type { TestProject } from 'vitest/node';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { ensureApplicationRole, grantApplicationRole } from '../db/roles.js';
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
 * The role the API runs as in production, for tests that run it so (db/roles.test.ts): no
 * superuser, owns nothing, granted rows by the template's owner. It is cluster-wide and shared by
 * every test run on the server, hence a fixed name and password (a test server's).
 */
export const test_application_role = 'purse_test_app';

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
  // Created once per server, never altered: runs of other checkouts may be starting meanwhile, and
  // concurrent ALTER ROLEs on one role fail ("tuple concurrently updated").
  const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [test_application_role]);
  if (role.rowCount === 0)
    await ensureApplicationRole(admin_url, test_application_role, test_application_role);
  // As `purse serve` does: grants first, so each migration's tables are covered by default privileges.
  await grantApplicationRole(template, test_application_role);
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

/** The same server and database as `url`, logged in as the test application role. */
export function asApplicationRole(url: string): string {
  const parsed = new URL(url);
  parsed.username = test_application_role;
  parsed.password = test_application_role;
  return parsed.toString();
}
