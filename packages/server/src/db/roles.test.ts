import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/verify.js';
import { createApiKey } from '../auth/keys-service.js';
import { loadConfig } from '../config.js';
import { verifyLedger } from '../ledger/verify.js';
import { freePort } from '../shared/ports.js';
import { createTestApp, type TestApp } from '../test-support/app.js';
import { createTestDatabase, type TestDatabase } from '../test-support/database.js';
import { asApplicationRole, test_application_role } from '../test-support/global-setup.js';
import { balanceOf, funded, newWallet, transfer } from '../test-support/money.js';
import { runPurse, waitForReady } from '../test-support/process.js';
import { openDatabase } from './connect.js';
import { embedded_application_role } from './embedded.js';
import { migrate } from './migrate.js';
import { createPool, inTransaction, type Pool } from './pool.js';

// The API and the worker run as a role that owns nothing (issue 13, defect 10): whoever holds its
// password can write rows, as the API does, but cannot switch off or drop the triggers that keep
// the ledger append-only.
let t: TestApp;
let app_role: Pool;
beforeAll(async () => {
  t = await createTestApp({}, {}, {}, {}, { as_application_role: true });
  app_role = createPool(asApplicationRole(t.db.url), 2);
});
afterAll(async () => {
  await app_role.end();
  await t.close();
});

/** The SQLSTATE a statement run as the application role fails with. */
async function refusal(sql: string): Promise<string | undefined> {
  const client = await app_role.connect();
  try {
    await client.query(sql);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  } finally {
    client.release(true);
  }
}

describe('the application role', () => {
  it('runs the API: holders, wallets, payments, transfers, holds, refunds, webhooks, events, keys', async () => {
    const current = await app_role.query<{ current_user: string }>('SELECT current_user');
    expect(current.rows[0]?.current_user).toBe(test_application_role);
    const holder = await t.request({ method: 'POST', url: '/v1/holders', payload: { name: 'Role' } });
    expect(holder.statusCode, holder.body).toBe(201);
    const payer = await funded(t, '100.00');
    const payee = await newWallet(t, 'USD', { holder_id: holder.json().id });
    const posted = await transfer(t, {
      source_wallet_id: payer,
      destination_wallet_id: payee,
      amount: '30.00',
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const held = await transfer(t, {
      source_wallet_id: payer,
      destination_wallet_id: payee,
      amount: '20.00',
      hold: true,
    });
    expect(held.statusCode, held.body).toBe(201);
    const captured = await t.request({ method: 'POST', url: `/v1/transfers/${held.json().id}/capture` });
    expect(captured.statusCode, captured.body).toBe(200);
    const refund = await t.request({
      method: 'POST',
      url: '/v1/refunds',
      payload: { transfer_id: posted.json().id, amount: '5.00' },
    });
    expect(refund.statusCode, refund.body).toBe(201);
    expect(await balanceOf(t, payer)).toMatchObject({ available: '55.00' });
    const endpoint = await t.request({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      payload: { url: 'https://example.com/hooks', enabled_events: ['*'] },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    const key = await t.request({
      method: 'POST',
      url: '/v1/api_keys',
      payload: { name: 'more', scopes: ['*'] },
    });
    expect(key.statusCode, key.body).toBe(201);
    const events = await t.request({ method: 'GET', url: '/v1/events?limit=100' });
    expect(events.json().data.length).toBeGreaterThan(5);
    // verify reads everything it checks with the same rights.
    expect(await verifyLedger(app_role)).toEqual([]);
    expect(await verifyAuditChain(app_role)).toEqual([]);
  });

  it('cannot switch off, drop or bypass the immutability triggers, or change the schema', async () => {
    const must_be_owner = '42501';
    expect(await refusal('ALTER TABLE postings DISABLE TRIGGER ALL')).toBe(must_be_owner);
    expect(await refusal('ALTER TABLE postings DISABLE TRIGGER postings_immutable')).toBe(must_be_owner);
    expect(await refusal('DROP TRIGGER postings_immutable ON postings')).toBe(must_be_owner);
    expect(await refusal('DROP TABLE postings')).toBe(must_be_owner);
    expect(await refusal('TRUNCATE postings')).toBe(must_be_owner);
    expect(await refusal("SET session_replication_role = 'replica'")).toBe(must_be_owner);
    expect(await refusal('ALTER FUNCTION postings_immutable() OWNER TO CURRENT_USER')).not.toBeUndefined();
    expect(await refusal('CREATE TABLE mine (id int)')).toBe(must_be_owner);
    expect(await refusal('DELETE FROM schema_migrations')).toBe(must_be_owner);
    // What the role may do to rows still meets the triggers (restrict_violation).
    expect(await refusal('UPDATE postings SET amount = amount + 1')).toBe('23001');
    expect(await refusal('DELETE FROM ledger_transactions')).toBe('23001');
    const role = await app_role.query(
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls,
         (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) AS owned
       FROM pg_roles r WHERE rolname = current_user`,
    );
    expect(role.rows[0]).toEqual({
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolbypassrls: false,
      owned: 0,
    });
  });

  it('has rows, never more, on every table the migrations made and on those made later', async () => {
    const tables = await t.db.pool.query<{ table: string; rights: string }>(
      `SELECT c.relname AS table, concat_ws(',',
         CASE WHEN has_table_privilege($1, c.oid, 'SELECT') THEN 'select' END,
         CASE WHEN has_table_privilege($1, c.oid, 'INSERT, UPDATE, DELETE') THEN 'write' END,
         CASE WHEN has_table_privilege($1, c.oid, 'TRUNCATE, REFERENCES, TRIGGER') THEN 'schema' END) AS rights
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
      [test_application_role],
    );
    expect(tables.rows.length).toBeGreaterThan(20);
    for (const { table, rights } of tables.rows)
      expect(rights, table).toBe(table === 'schema_migrations' ? 'select' : 'select,write');
    // A later migration, run by the owner, needs no grant of its own.
    await t.db.pool.query('CREATE TABLE later_migration (id bigserial PRIMARY KEY, note text)');
    await app_role.query("INSERT INTO later_migration (note) VALUES ('covered')");
    expect((await app_role.query('SELECT note FROM later_migration')).rows).toEqual([{ note: 'covered' }]);
    await t.db.pool.query('DROP TABLE later_migration');
  });
});

describe('purse serve with DATABASE_MIGRATION_URL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('migrates as the owner and serves as the application role', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const key = `sk_test_${'r'.repeat(40)}`;
    const server = runPurse(['serve'], {
      DATABASE_URL: asApplicationRole(db.url),
      DATABASE_MIGRATION_URL: db.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      PURSE_BOOTSTRAP_KEY: key,
    });
    try {
      await waitForReady(base);
      const created = await fetch(`${base}/v1/holders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Served by the application role' }),
      });
      expect(created.status, server.output()).toBe(201);
      const owners = await db.pool.query<{ owner: string }>(
        `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
      );
      expect(owners.rows).toEqual([{ owner: new URL(db.url).username || 'postgres' }]);
      // The API's connections log in as the application role; the application role could not have
      // migrated (it may not create tables), so the owner did.
      const sessions = await db.pool.query<{ role: string }>(
        `SELECT usename AS role FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'purse'`,
      );
      expect(sessions.rows.map((row) => row.role)).toContain(test_application_role);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited, server.output()).toBe(0);
    }
  }, 120_000);
});

describe('DATABASE_MIGRATION_URL', () => {
  it('refuses a DATABASE_URL that logs in as a superuser, since the separation would only look real', async () => {
    const owner = await t.db.pool.query<{ superuser: boolean }>(
      'SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
    );
    if (owner.rows[0]?.superuser !== true) return; // the test server's admin is not a superuser
    const migration_url = new URL(t.db.url);
    migration_url.searchParams.set('application_name', 'purse-migrations');
    const config = loadConfig({ DATABASE_URL: t.db.url, DATABASE_MIGRATION_URL: migration_url.toString() });
    await expect(openDatabase(config, () => undefined)).rejects.toThrow(
      /a superuser, beside DATABASE_MIGRATION_URL/,
    );
  });
});

describe('the embedded PostgreSQL', () => {
  it('hands the API and the worker a role that cannot switch the triggers off', async () => {
    const data_dir = await mkdtemp(path.join(tmpdir(), 'purse-roles-'));
    const config = loadConfig({ PURSE_DATA_DIR: data_dir, PURSE_EMBEDDED_PG_PORT: String(await freePort()) });
    const db = await openDatabase(config, () => undefined);
    try {
      await migrate(db.maintenance_pool);
      const role = await db.pool.query(
        'SELECT current_user AS role, usesuper FROM pg_user WHERE usename = current_user',
      );
      expect(role.rows[0]).toEqual({ role: embedded_application_role, usesuper: false });
      const key = await inTransaction(db.pool, (client) =>
        createApiKey(client, { livemode: false, name: 'rows', scopes: ['*'] }),
      );
      expect(key.secret).toMatch(/^sk_test_/);
      await expect(db.pool.query('ALTER TABLE postings DISABLE TRIGGER ALL')).rejects.toMatchObject({
        code: '42501',
      });
      await expect(db.pool.query('DROP TRIGGER postings_immutable ON postings')).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      await db.close();
      await rm(data_dir, { recursive: true, force: true });
    }
  }, 180_000);
});
