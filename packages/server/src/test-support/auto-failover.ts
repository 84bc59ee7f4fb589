import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../shared/ports.js';

/**
 * A pg_auto_failover formation on this machine for the high-availability tests: a monitor, a
 * primary and a synchronous standby, each a `pg_autoctl` service in its own process group, so that
 * killing a node's group with SIGKILL is as close to pulling its plug as one machine allows. As
 * root, everything runs as the `postgres` user (PostgreSQL refuses root); data, configuration and
 * state live in one temporary folder, removed by `close()`.
 */

const pg_bin_dir = '/usr/lib/postgresql/15/bin';
const node_names = ['node1', 'node2'] as const;
export type NodeName = (typeof node_names)[number];

/**
 * The monitor's health checks, tightened so a test sees a failover within seconds (defaults: 5 s
 * checks, 20 s before a node counts as unhealthy, 30 s for a dead primary to demote itself). The
 * documentation's production settings keep the defaults.
 */
const monitor_settings: Record<string, number> = {
  'pgautofailover.health_check_period': 1_000,
  'pgautofailover.health_check_timeout': 1_000,
  'pgautofailover.health_check_max_retries': 1,
  'pgautofailover.health_check_retry_delay': 500,
  'pgautofailover.node_considered_unhealthy_timeout': 4_000,
  'pgautofailover.primary_demote_timeout': 4_000,
};

const as_root = process.getuid?.() === 0;
/** Where Debian keeps it, in case root's PATH lacks the sbin folders. */
const runuser = existsSync('/usr/sbin/runuser') ? '/usr/sbin/runuser' : 'runuser';

/** Why the tests cannot run here, or undefined when they can. */
export function autoFailoverMissing(): string | undefined {
  if (spawnSync('pg_autoctl', ['--version']).status !== 0)
    return 'pg_autoctl is not installed (Debian: apt-get install postgresql-15-auto-failover; .ci/run does)';
  if (!existsSync(path.join(pg_bin_dir, 'pg_ctl'))) return `no PostgreSQL 15 in ${pg_bin_dir}`;
  if (as_root && spawnSync(runuser, ['-u', 'postgres', '--', 'true']).status !== 0)
    return 'running as root, and cannot run commands as the postgres user';
  return undefined;
}

export interface NodeState {
  readonly name: string;
  readonly port: number;
  readonly reported: string;
  readonly assigned: string;
}

export interface AutoFailover {
  readonly ports: Readonly<Record<NodeName, number>>;
  /** A libpq multi-host URL over both nodes, as `role`, for `target_session_attrs`. */
  url(role: string, target: string, database?: string): string;
  /** The superuser's URL of one node. */
  nodeUrl(node: NodeName, database?: string): string;
  /** The monitor's view of the nodes. */
  states(): Promise<NodeState[]>;
  /** Waits until the monitor reports and assigns `wanted` to every named node. */
  waitFor(wanted: Partial<Record<NodeName, string>>, timeout_ms: number): Promise<void>;
  /** SIGKILL to every process of the node at once: the keeper and the postmaster. */
  kill(node: NodeName): void;
  /** The services' output, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

interface Service {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly pgdata: string;
}

export async function startAutoFailover(): Promise<AutoFailover> {
  const dir = mkdtempSync(path.join(tmpdir(), 'purse-ha-'));
  if (as_root) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim());
    chownSync(dir, uid, gid);
  }
  const [monitor_port, port1, port2] = [await freePort(), await freePort(), await freePort()];
  const ports: Record<NodeName, number> = { node1: port1, node2: port2 };
  const services = new Map<string, Service>();
  let log = '';
  const monitor_url = `postgres://postgres@127.0.0.1:${monitor_port}/pg_auto_failover`;

  const start = (name: string, args: string[]) => {
    const service = runService(dir, args, (chunk) => {
      log += `[${name}] ${chunk}`;
    });
    services.set(name, service);
  };
  const cluster: AutoFailover = {
    ports,
    url: (role, target, database = 'purse') =>
      `postgres://${role}@127.0.0.1:${port1},127.0.0.1:${port2}/${database}?target_session_attrs=${target}`,
    nodeUrl: (node, database = 'postgres') => `postgres://postgres@127.0.0.1:${ports[node]}/${database}`,
    states: () => nodeStates(monitor_url),
    async waitFor(wanted, timeout_ms) {
      const deadline = Date.now() + timeout_ms;
      for (;;) {
        const states = await nodeStates(monitor_url).catch(() => []);
        const done = Object.entries(wanted).every(([name, state]) =>
          states.some((node) => node.name === name && node.reported === state && node.assigned === state),
        );
        if (done) return;
        if (Date.now() > deadline)
          throw new Error(`nodes never reached ${JSON.stringify(wanted)}: ${JSON.stringify(states)}\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    kill(node) {
      const service = services.get(node);
      if (service?.child.pid !== undefined) process.kill(-service.child.pid, 'SIGKILL');
    },
    output: () => log,
    close: () => closeAll(dir, services),
  };
  try {
    start('monitor', ['create', 'monitor', ...common(dir, 'monitor', monitor_port), '--run']);
    await tuneMonitor(monitor_url);
    for (const name of node_names) {
      const monitor = `postgres://autoctl_node@127.0.0.1:${monitor_port}/pg_auto_failover?sslmode=disable`;
      start(name, [
        'create',
        'postgres',
        ...common(dir, name, ports[name]),
        ...['--name', name, '--listen', '127.0.0.1', '--monitor', monitor, '--pgctl', `${pg_bin_dir}/pg_ctl`],
        '--run',
      ]);
      // One at a time: the second is cloned from the first once it serves as the primary.
      await cluster.waitFor(
        name === 'node1' ? { node1: 'single' } : { node1: 'primary', node2: 'secondary' },
        90_000,
      );
    }
    return cluster;
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

function common(dir: string, name: string, port: number): string[] {
  return [
    '--pgdata',
    path.join(dir, name),
    '--pgport',
    String(port),
    '--hostname',
    '127.0.0.1',
    '--auth',
    'trust',
    '--no-ssl',
  ];
}

/** `pg_autoctl` in its own process group, as postgres under root, with its files under `dir`. */
function runService(dir: string, args: string[], log: (chunk: string) => void): Service {
  const env = {
    PATH: `${pg_bin_dir}:${process.env.PATH ?? ''}`,
    HOME: dir,
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_DATA_HOME: path.join(dir, 'share'),
    XDG_RUNTIME_DIR: path.join(dir, 'run'),
  };
  const command = as_root
    ? [runuser, '-u', 'postgres', '--', 'pg_autoctl', ...args]
    : ['pg_autoctl', ...args];
  const [file = 'pg_autoctl', ...rest] = command;
  const child = spawn(file, rest, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => log(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => log(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const pgdata = args[args.indexOf('--pgdata') + 1] ?? '';
  return { child, exited, pgdata };
}

async function tuneMonitor(monitor_url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: monitor_url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // The extension is created last by `create monitor`: wait for it.
      const ready = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'pgautofailover'");
      if (ready.rowCount === 1) {
        for (const [name, value] of Object.entries(monitor_settings))
          await client.query(`ALTER SYSTEM SET ${name} = ${value}`);
        await client.query('SELECT pg_reload_conf()');
        return;
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error('the pg_auto_failover monitor never came up');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function nodeStates(monitor_url: string): Promise<NodeState[]> {
  const client = new pg.Client({ connectionString: monitor_url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<NodeState>(
      `SELECT nodename AS name, nodeport AS port, reportedstate::text AS reported, goalstate::text AS assigned
       FROM pgautofailover.node ORDER BY nodeid`,
    );
    return result.rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Stops what still runs (SIGTERM: pg_autoctl stops its PostgreSQL fast; SIGKILL after 10 s),
 * removes the shared memory a killed postmaster leaves behind, and the folder.
 */
async function closeAll(dir: string, services: Map<string, Service>): Promise<void> {
  await Promise.all(
    [...services.values()].map(async (service) => {
      const pid = service.child.pid;
      if (pid === undefined) return;
      const signal = (name: NodeJS.Signals) => {
        try {
          process.kill(-pid, name);
        } catch {
          // the group is gone
        }
      };
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 10_000);
      await service.exited;
      clearTimeout(timer);
    }),
  );
  // A postmaster's children are not in its group (each is a session of its own): backends leave
  // when they notice its death, but pg_auto_failover's health-check worker and the logger waiting
  // for it do not. Whatever still works in the folder goes.
  killWorkingIn(dir);
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const service of services.values()) removeSharedMemory(service.pgdata);
  rmSync(dir, { recursive: true, force: true });
}

/** SIGKILL to every process whose working directory is in `dir` (PostgreSQL's is its data folder). */
function killWorkingIn(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue; // gone, or not ours to read
    }
    if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** The System V segment of a postmaster that was killed (postmaster.pid's seventh line: key, id). */
function removeSharedMemory(pgdata: string): void {
  const pid_file = path.join(pgdata, 'postmaster.pid');
  if (!existsSync(pid_file)) return;
  const id = readFileSync(pid_file, 'utf8').split('\n')[6]?.trim().split(/\s+/)[1];
  if (id !== undefined && /^\d+$/.test(id)) spawnSync('ipcrm', ['-m', id]);
}
