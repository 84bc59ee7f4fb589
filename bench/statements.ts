/**
 * Where PostgreSQL's time per transfer goes, statement by statement: pg_stat_statements, reset
 * before a scenario and read after it (on the embedded server the bench starts with the extension
 * loaded; on DATABASE_URL's only when it already is). Execution time is wall time inside the
 * statement, the closest PostgreSQL gives to its CPU per statement; what the CPU table counts
 * beyond it is parsing, commits (WAL), the protocol, and the background processes.
 */
import pg from 'pg';

/** Loaded on the embedded server; pg_stat_statements needs it at start. */
export const statements_settings = [
  'shared_preload_libraries=pg_stat_statements',
  'pg_stat_statements.track=all',
];

export interface StatementCost {
  readonly query: string;
  readonly calls: number;
  readonly exec_ms: number;
}

/** Whether the extension can be used on this database (created here when it is loadable). */
export async function statementsAvailable(database_url: string): Promise<boolean> {
  return withClient(database_url, async (client) => {
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await client.query('SELECT pg_stat_statements_reset()');
      return true;
    } catch {
      return false;
    }
  });
}

export function resetStatements(database_url: string): Promise<void> {
  return withClient(database_url, async (client) => {
    await client.query('SELECT pg_stat_statements_reset()');
  });
}

/** This database's statements since the reset, costliest first. */
export function readStatements(database_url: string): Promise<StatementCost[]> {
  return withClient(database_url, async (client) => {
    const result = await client.query<{ query: string; calls: string; exec_ms: number }>(
      `SELECT query, calls, total_exec_time AS exec_ms FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       ORDER BY total_exec_time DESC`,
    );
    return result.rows.map((row) => ({ query: row.query, calls: Number(row.calls), exec_ms: row.exec_ms }));
  });
}

async function withClient<T>(database_url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: database_url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A statement's text on one line, its first words: what a reader needs to find it in the code. */
function label(query: string): string {
  const line = query.replace(/\s+/g, ' ').trim();
  return line.length <= 90 ? line : `${line.slice(0, 87)}...`;
}

/**
 * A markdown table per scenario: the statements that took most of PostgreSQL's time, in µs per
 * committed transfer, with calls per transfer; the rest folded into one line.
 */
export function statementsTable(
  scenario: string,
  transfers: number,
  statements: readonly StatementCost[],
  shown = 12,
): string[] {
  if (transfers === 0 || statements.length === 0) return [];
  const us = (ms: number) => ((ms * 1000) / transfers).toFixed(1);
  const per = (calls: number) => (calls / transfers).toFixed(2);
  const rest = statements.slice(shown);
  const total_ms = statements.reduce((sum, statement) => sum + statement.exec_ms, 0);
  return [
    `#### ${scenario}`,
    '',
    '| statement | calls per transfer | µs per transfer |',
    '| --- | ---: | ---: |',
    ...statements
      .slice(0, shown)
      .map(
        (statement) =>
          `| \`${label(statement.query).replace(/\|/g, '\\|')}\` | ${per(statement.calls)} | ${us(statement.exec_ms)} |`,
      ),
    `| ${rest.length} other statements | ${per(rest.reduce((sum, s) => sum + s.calls, 0))} | ${us(rest.reduce((sum, s) => sum + s.exec_ms, 0))} |`,
    `| **all statements** | | **${us(total_ms)}** |`,
    '',
  ];
}
