import type { QueryResult } from 'pg';
import { assert } from '../shared/assert.js';
import type { Queryable } from './pool.js';
import { prepared } from './prepared.js';

interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * Collects INSERTs whose results nobody reads and sends them to the database as one statement
 * (each in its own data-modifying CTE), saving a round trip per insert on the write path; one
 * UPDATE may end the statement, its row count checked at the flush. The statements run when
 * `flush` is called, inside the caller's transaction, all against one snapshot (no statement sees
 * another's rows; constraint and foreign-key checks run at the statement's end). A savepoint rolled
 * back in between does not undo what is queued, so only code that cannot be rolled back to a
 * savepoint may write through it.
 */
export class DeferredInserts {
  private readonly statements: Statement[] = [];
  private final: (Statement & { readonly rows_expected: number }) | undefined;

  /** Stands in for a connection: records the INSERT and answers with no rows. */
  readonly queryable: Queryable = {
    query: ((sql: string, params: readonly unknown[] = []) => {
      assert(/^\s*INSERT\b/i.test(sql) && !/\bRETURNING\b/i.test(sql), 'only INSERTs without RETURNING wait');
      this.statements.push({ sql, params });
      return Promise.resolve({ rows: [], rowCount: null } as unknown as QueryResult);
    }) as Queryable['query'],
  };

  /** Queues the UPDATE that ends the statement; the flush fails unless it changes `rows_expected` rows. */
  update(sql: string, params: readonly unknown[], rows_expected: number): void {
    assert(/^\s*UPDATE\b/i.test(sql) && this.final === undefined, 'one UPDATE ends a deferred statement');
    this.final = { sql, params, rows_expected };
  }

  /** Sends everything queued as one statement, and forgets it. */
  async flush(db: Queryable): Promise<void> {
    const final = this.final;
    this.final = undefined;
    const statements = [...this.statements.splice(0), ...(final === undefined ? [] : [final])];
    if (statements.length === 0) return;
    const params: unknown[] = [];
    const renumbered = statements.map((statement) => {
      const offset = params.length;
      params.push(...statement.params);
      return statement.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    });
    const last = renumbered.pop() ?? '';
    const ctes = renumbered.map((sql, index) => `w${index} AS (${sql})`);
    const result = await db.query(
      prepared(ctes.length === 0 ? last : `WITH ${ctes.join(', ')} ${last}`, params),
    );
    if (final !== undefined)
      assert(result.rowCount === final.rows_expected, 'the deferred UPDATE changed every row');
  }
}
