import type { TestApp } from './app.js';

/**
 * Runs SQL as an insider would: as a superuser, around the triggers that forbid changing ledger,
 * audit and event rows. Tests that corrupt data on purpose use it to prove a check finds the edit.
 */
export async function tamper(t: TestApp, sql: string, params: unknown[] = []): Promise<void> {
  const client = await t.db.pool.connect();
  try {
    await client.query("SET session_replication_role = 'replica'");
    await client.query(sql, params);
  } finally {
    await client.query("SET session_replication_role = 'origin'");
    client.release();
  }
}

/**
 * A condition on postings naming their account by its id (the query parameter `param`): postings
 * hold the account's number instead (migration 0041).
 */
export function ofAccount(param: string, alias = ''): string {
  return `${alias}account_number = (SELECT number FROM accounts WHERE id = ${param})`;
}
