import type { QueryResult } from 'pg';
import { assert } from '../shared/assert.js';
import type { Queryable } from './pool.js';
import { prepared } from './prepared.js';

interface Statement {
  readonly sql: string;
  params: readonly unknown[];
}

/**
 * An INSERT of exactly the rows of its array parameters (`INSERT INTO t (...) SELECT * FROM
 * unnest($1::..[], ...)` with every parameter an array): two of them with one text are one INSERT
 * of the arrays joined, so a batch whose jobs each log a few rows sends one such INSERT, not one
 * per job (each a CTE of its own, and a statement text of its own to parse and plan).
 */
const rows_of_arrays = /^\s*INSERT INTO \w+ \([^)]*\)\s*SELECT \* FROM unnest\(/i;

function joinable(statement: Statement, sql: string, params: readonly unknown[]): boolean {
  return (
    statement.sql === sql &&
    rows_of_arrays.test(sql) &&
    params.length === statement.params.length &&
    [...params, ...statement.params].every((param) => Array.isArray(param))
  );
}

/**
 * Collects writes whose results nobody reads and sends them to the database as one statement, each
 * in its own data-modifying CTE, saving a round trip per write on the write path: INSERTs, and
 * UPDATEs whose row counts the flush checks. The statements run when `flush` is called, inside the
 * caller's transaction, all against one snapshot (no statement sees another's rows, and no two may
 * change the same row; constraint and foreign-key checks run at the statement's end). A savepoint
 * rolled back in between does not undo what is queued, so only code that cannot be rolled back to
 * a savepoint may write through it.
 */
export class DeferredInserts {
  private readonly statements: Statement[] = [];
  private readonly updates: (Statement & { readonly rows_expected: number })[] = [];

  /** Stands in for a connection: records the INSERT and answers with no rows. */
  readonly queryable: Queryable = {
    query: ((sql: string, params: readonly unknown[] = []) => {
      assert(/^\s*INSERT\b/i.test(sql) && !/\bRETURNING\b/i.test(sql), 'only INSERTs without RETURNING wait');
      const same = this.statements.find((statement) => joinable(statement, sql, params));
      if (same === undefined) this.statements.push({ sql, params });
      else
        same.params = same.params.map((param, index) => [
          ...(param as unknown[]),
          ...(params[index] as unknown[]),
        ]);
      return Promise.resolve({ rows: [], rowCount: null } as unknown as QueryResult);
    }) as Queryable['query'],
  };

  /** Queues an UPDATE; the flush fails unless it changes `rows_expected` rows. */
  update(sql: string, params: readonly unknown[], rows_expected: number): void {
    assert(/^\s*UPDATE\b/i.test(sql) && !/\bRETURNING\b/i.test(sql), 'an UPDATE without RETURNING');
    this.updates.push({ sql: `${sql} RETURNING 1`, params, rows_expected });
  }

  /** Sends everything queued as one statement, and forgets it. */
  async flush(db: Queryable): Promise<void> {
    const updates = this.updates.splice(0);
    const statements = [...this.statements.splice(0), ...updates];
    if (statements.length === 0) return;
    const params: unknown[] = [];
    const ctes = statements.map((statement, index) => {
      const offset = params.length;
      params.push(...statement.params);
      const sql = statement.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
      return `w${index} AS (${sql})`;
    });
    // The statement's own SELECT reads how many rows each UPDATE changed.
    const first_update = statements.length - updates.length;
    const counts = updates.map(
      (_, index) => `(SELECT count(*) FROM w${first_update + index})::int AS u${index}`,
    );
    const result = await db.query<Record<string, number>>(
      prepared(`WITH ${ctes.join(', ')} SELECT ${counts.length === 0 ? '1' : counts.join(', ')}`, params),
    );
    for (const [index, update] of updates.entries()) {
      assert(result.rows[0]?.[`u${index}`] === update.rows_expected, 'the deferred UPDATE changed every row');
    }
  }
}
