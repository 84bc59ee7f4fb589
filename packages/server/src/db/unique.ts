import type { Client } from './pool.js';

const unique_violation = '23505';

/**
 * Runs one statement that may hit a unique constraint, inside a savepoint so that a conflict does
 * not abort the caller's transaction. Returns undefined on conflict, for the caller to turn into
 * a domain error; concurrent requests racing for one value resolve here rather than with a 500.
 */
export async function unlessUniqueViolation<T>(db: Client, work: () => Promise<T>): Promise<T | undefined> {
  await db.query('SAVEPOINT unique_guard');
  try {
    const result = await work();
    await db.query('RELEASE SAVEPOINT unique_guard');
    return result;
  } catch (error) {
    if ((error as { code?: string }).code !== unique_violation) throw error;
    await db.query('ROLLBACK TO SAVEPOINT unique_guard');
    return undefined;
  }
}
