import type { QueryResult } from 'pg';
import { assert } from '../shared/assert.js';
import type { Queryable } from './pool.js';
import { prepared } from './prepared.js';

/**
 * Collects INSERTs whose results nobody reads and sends them to the database as one statement
 * (each in its own data-modifying CTE), saving a round trip per insert on the write path. The
 * statements run when `flush` is called, in order, inside the caller's transaction; a savepoint
 * rolled back in between does not undo what is queued, so only code that cannot be rolled back
 * to a savepoint may write through it.
 */
export class DeferredInserts {
  private readonly statements: { sql: string; params: readonly unknown[] }[] = [];

  /** Stands in for a connection: records the INSERT and answers with no rows. */
  readonly queryable: Queryable = {
    query: ((sql: string, params: readonly unknown[] = []) => {
      assert(/^\s*INSERT\b/i.test(sql) && !/\bRETURNING\b/i.test(sql), 'only INSERTs without RETURNING wait');
      this.statements.push({ sql, params });
      return Promise.resolve({ rows: [], rowCount: null } as unknown as QueryResult);
    }) as Queryable['query'],
  };

  /** Sends everything queued as one statement, and forgets it. */
  async flush(db: Queryable): Promise<void> {
    const statements = this.statements.splice(0);
    if (statements.length === 0) return;
    const params: unknown[] = [];
    const renumbered = statements.map((statement) => {
      const offset = params.length;
      params.push(...statement.params);
      return statement.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    });
    const last = renumbered.pop() ?? '';
    const ctes = renumbered.map((sql, index) => `w${index} AS (${sql})`);
    await db.query(prepared(ctes.length === 0 ? last : `WITH ${ctes.join(', ')} ${last}`, params));
  }
}
