import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';

/**
 * CPU time spent during a scenario, by who spent it, read from Linux's /proc: where a transfer's
 * cost is, in Purse's process, in PostgreSQL, or in the load generator beside them. It moves with
 * the host's speed, as throughput does, so compare it beside a reference from the same round.
 */
export interface CpuSpent {
  /** The server under test (Purse, or the bare Fastify reference); undefined when there is none. */
  readonly server_s: number | undefined;
  /** Every process of the PostgreSQL server; undefined when it is not on this machine. */
  readonly database_s: number | undefined;
  /** This process: the load generator, and the SQL reference's clients. */
  readonly driver_s: number;
  /** The share of the machine's CPU time nobody used. */
  readonly idle_share: number;
}

/** /proc reports CPU times in USER_HZ clock ticks, 100 per second on every Linux that node runs on. */
const ticks_per_s = 100;

interface ProcStat {
  readonly ppid: number;
  /** utime + stime: the process's own CPU time, all threads. */
  readonly ticks: number;
  /** cutime + cstime: the CPU time of its children that exited and were waited for. */
  readonly children_ticks: number;
}

async function procStat(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces; count fields after it.
  const fields = text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const [, ppid = 0] = fields;
  const [utime = 0, stime = 0, cutime = 0, cstime = 0] = fields.slice(11, 15);
  return { ppid, ticks: utime + stime, children_ticks: cutime + cstime };
}

/**
 * All the CPU time PostgreSQL has spent: the postmaster's, its live children's (backends, WAL
 * writer, autovacuum...) and, through the postmaster's cutime, that of children already gone.
 */
async function databaseTicks(postmaster_pid: number): Promise<number | undefined> {
  const postmaster = await procStat(postmaster_pid);
  if (postmaster === undefined) return undefined;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const children = await Promise.all(pids.map((pid) => procStat(pid)));
  return children.reduce(
    (sum, stat) => sum + (stat?.ppid === postmaster_pid ? stat.ticks : 0),
    postmaster.ticks + postmaster.children_ticks,
  );
}

async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  // Fields 4 and 5 of the "cpu" line are idle and iowait.
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total };
}

/** The pid of the PostgreSQL server behind `database_url`, when it runs on this machine. */
export async function postmasterPid(database_url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: database_url });
  await client.connect();
  try {
    const backend = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = backend.rows[0]?.pid;
    return pid === undefined ? undefined : (await procStat(pid))?.ppid;
  } finally {
    await client.end();
  }
}

/** Runs `work` and reports the CPU time spent meanwhile (undefined off Linux). */
export async function measured<T>(
  pids: { server: number | undefined; postmaster: number | undefined },
  work: () => Promise<T>,
): Promise<{ value: T; cpu: CpuSpent | undefined }> {
  const stop = await cpuWindow(pids.server, pids.postmaster);
  const value = await work();
  return { value, cpu: await stop?.() };
}

/** Starts measuring; the returned function stops and reports. Undefined off Linux. */
async function cpuWindow(
  server_pid: number | undefined,
  postmaster_pid: number | undefined,
): Promise<(() => Promise<CpuSpent>) | undefined> {
  if ((await procStat(process.pid)) === undefined) return undefined;
  const read = async () => ({
    server: server_pid === undefined ? undefined : (await procStat(server_pid))?.ticks,
    database: postmaster_pid === undefined ? undefined : await databaseTicks(postmaster_pid),
    driver_us: process.cpuUsage(),
    machine: await machineTicks(),
  });
  const before = await read();
  return async () => {
    const after = await read();
    const server =
      before.server === undefined || after.server === undefined ? undefined : after.server - before.server;
    const database =
      before.database === undefined || after.database === undefined
        ? undefined
        : after.database - before.database;
    const driver = process.cpuUsage(before.driver_us);
    const machine_total = after.machine.total - before.machine.total;
    const machine_busy = after.machine.busy - before.machine.busy;
    return {
      server_s: server === undefined ? undefined : server / ticks_per_s,
      database_s: database === undefined ? undefined : database / ticks_per_s,
      driver_s: (driver.user + driver.system) / 1e6,
      idle_share: machine_total === 0 ? 0 : 1 - machine_busy / machine_total,
    };
  };
}
