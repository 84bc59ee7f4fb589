import pg from 'pg';
import { parseHostList } from './hosts.js';
import { HostSelector, selectingClient } from './multi-host.js';

export type Pool = pg.Pool;
export type Client = pg.PoolClient;
/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

/** Limits on waiting for the database; without them a stuck statement or a full pool waits forever. */
export interface PoolTimeouts {
  /** PostgreSQL cancels a statement, lock waits included, running longer (57014); 0: no limit. */
  readonly statement_timeout_ms: number;
  /** A caller waiting longer for a connection, a free one or a new one, gets an error; 0: no limit. */
  readonly connection_timeout_ms: number;
}

/** How long past its statement timeout a query waits for the server's answer before giving up on it. */
export const unanswered_grace_ms = 5_000;

/** For tools and migrations, which may legitimately run long. */
export const no_timeouts: PoolTimeouts = { statement_timeout_ms: 0, connection_timeout_ms: 0 };

/**
 * A pool on `url`, which may list several hosts with libpq's `target_session_attrs`
 * (db/multi-host.ts): its connections then go to the first suitable host and move after a failover.
 */
export function createPool(url: string, size_max: number, timeouts = no_timeouts): Pool {
  const pool = new pg.Pool({
    ...hostOptions(url, timeouts.connection_timeout_ms),
    max: size_max,
    // Sent with the connection's start-up, so every session has it before its first statement.
    statement_timeout: timeouts.statement_timeout_ms,
    // PostgreSQL answers a statement by its timeout at the latest; silence past that means the server
    // or the network to it is gone (a dead machine closes no socket): the query fails here instead
    // of waiting for TCP to give up (about 15 minutes on Linux), and its connection is discarded.
    ...(timeouts.statement_timeout_ms > 0
      ? { query_timeout: timeouts.statement_timeout_ms + unanswered_grace_ms }
      : {}),
    connectionTimeoutMillis: timeouts.connection_timeout_ms,
    // Money columns are NUMERIC and counters BIGINT: pg hands both back as strings by default, which is
    // what we want (converted to bigint where used, never to a JavaScript number).
    application_name: 'purse',
  });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // Nor may a checked-out one: pg emits 'error' on a client whose backend is terminated between two
  // queries (pg_terminate_backend, a restart, a failover), and an 'error' event with no listener
  // kills the process. The query in progress or the next one fails, and its caller sees that.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  pool.on('release', (error, client) => {
    // Released still inside a transaction (its ROLLBACK failed): its state is unknown, so it is
    // closed rather than handed to the next caller, whatever path released it.
    if (error === undefined && client.getTransactionStatus() !== 'I')
      void client.end().catch(() => undefined);
  });
  return pool;
}

function hostOptions(url: string, connection_timeout_ms: number): pg.PoolConfig {
  const list = parseHostList(url, 'the database URL');
  const [first] = list.urls;
  if (first === undefined || (list.urls.length === 1 && list.target === 'any'))
    return { connectionString: url };
  const selector = new HostSelector(list, connection_timeout_ms);
  return {
    connectionString: first,
    Client: selectingClient(selector),
    onConnect: (client) => selector.check(client as pg.Client),
  };
}

/** Runs `work` in one transaction on one client; rolls back on any throw. */
export async function inTransaction<T>(pool: Pool, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A client whose ROLLBACK fails (its connection is gone) goes back with the error: the pool
    // discards it instead of handing a dead connection to the next caller.
    broken = await client.query('ROLLBACK').then(
      () => undefined,
      (rollback_error: unknown) => asError(rollback_error),
    );
    throw error;
  } finally {
    client.release(broken);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** True when a PostgreSQL answers at `url`. */
export async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * SQLSTATEs of a database that is away or overloaded, not of a bad request or a bug; 25006 (a
 * write in a read-only transaction): a primary that stopped taking writes on a session opened
 * before, as one being demoted in a switchover does (Purse's own reads never write).
 */
const unavailable_sqlstates = new Set(['57014', '57P01', '57P02', '57P03', '53300', '25006']);
const unavailable_messages = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'is not queryable',
  'Query read timeout',
];
const unavailable_socket_codes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * True for an error that says the database could not answer in time or at all: a statement
 * timeout (57014), a terminated backend, a full pool past its wait, a refused or cut socket. Such a
 * request wrote nothing that was acknowledged; it is answered 503 and may be retried as it is.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (unavailable_sqlstates.has(code) || code.startsWith('08') || unavailable_socket_codes.has(code))
      return true;
  }
  return unavailable_messages.some((message) => error.message.includes(message));
}
