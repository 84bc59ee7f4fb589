import pg from 'pg';
import { migration_lock_id } from './migrate.js';
import { type Client, inTransaction, type Pool } from './pool.js';

/**
 * Two roles. The owner (the one in DATABASE_MIGRATION_URL, or the embedded cluster's superuser)
 * owns the schema and runs the migrations. The application role (DATABASE_URL's, or `purse_app`
 * in the embedded cluster) runs the API and the worker: it may read and write rows, but it owns
 * nothing and is no superuser, so it cannot ALTER, DROP or TRUNCATE a table, switch a trigger off
 * (ALTER TABLE ... DISABLE TRIGGER, session_replication_role) or drop one: whoever holds the
 * application's password cannot undo the ledger's immutability triggers.
 */

/**
 * Creates the application role, or puts back its attributes and password if it exists (so a
 * cluster made before the role existed gets it, and a role someone changed is reset). Run as a
 * role that may create roles. Two processes starting at once may both try to create it: the loser
 * alters instead.
 */
export async function ensureApplicationRole(
  admin_url: string,
  role: string,
  password: string,
): Promise<void> {
  const client = new pg.Client({ connectionString: admin_url });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (exists.rowCount === 0) {
      const created = await client.query(await roleStatement(client, 'CREATE', role, password)).then(
        () => true,
        (error: { code?: string }) => {
          if (error.code === '42710' || error.code === '23505') return false; // created meanwhile
          throw error;
        },
      );
      if (created) return;
    }
    await client.query(await roleStatement(client, 'ALTER', role, password));
  } finally {
    await client.end();
  }
}

async function roleStatement(
  client: pg.Client,
  verb: 'CREATE' | 'ALTER',
  role: string,
  password: string,
): Promise<string> {
  // Utility statements take no parameters: format() quotes the name and the password.
  const statement = await client.query<{ sql: string }>(
    `SELECT format('${verb} ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', $1::text, $2::text) AS sql`,
    [role, password],
  );
  return statement.rows[0]?.sql ?? '';
}

/**
 * Run as the owner before migrating: the application role may use the schema and read and write
 * the rows of every table and sequence there now, and, through default privileges, of every one
 * the owner creates later, so each migration's tables are covered without a grant of its own.
 * Nothing else: no TRUNCATE (it skips row triggers), REFERENCES or TRIGGER, no CREATE on the
 * schema, and `schema_migrations` is the owner's alone to write (see `migrate`).
 */
export async function grantApplicationRole(owner_pool: Pool, role: string): Promise<void> {
  await inTransaction(owner_pool, async (owner) => {
    // Under the migrations' lock: processes starting together would otherwise update the same
    // catalog rows at once ("tuple concurrently updated").
    await owner.query('SELECT pg_advisory_xact_lock($1)', [migration_lock_id]);
    await grant(owner, role);
  });
}

async function grant(owner: Client, role: string): Promise<void> {
  const name = (await owner.query<{ name: string }>('SELECT quote_ident($1) AS name', [role])).rows[0]?.name;
  if (name === undefined) throw new Error('quote_ident returned nothing');
  await owner.query(`GRANT USAGE ON SCHEMA public TO ${name}`);
  await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${name}`);
  await owner.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${name}`);
  await owner.query(
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${name}`,
  );
  await owner.query(
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${name}`,
  );
}
