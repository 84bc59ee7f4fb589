import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type PurseProcess, runPurse } from './process.js';

export interface FreshResponse {
  readonly status: number;
  readonly request_id: string;
  readonly replayed: boolean;
  readonly body: string;
}

export interface FreshRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly key?: string;
  readonly idempotency_key?: string;
  readonly body?: Record<string, unknown>;
  /** For an https base: the CA that signed the server's certificate. */
  readonly ca?: Buffer;
  /** A keep-alive agent of one socket, which keeps the request on that socket's process. */
  readonly agent?: Agent;
}

/**
 * One request on a connection of its own (no keep-alive), unless `agent` is given: a port that
 * several processes share (node:cluster) hands each new connection to the next process, so
 * requests spread over all.
 */
export function freshRequest(base: string, options: FreshRequest): Promise<FreshResponse> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
    ...(options.idempotency_key === undefined ? {} : { 'idempotency-key': options.idempotency_key }),
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  const request = base.startsWith('https:') ? httpsRequest : httpRequest;
  const settings = {
    method: options.method,
    headers,
    agent: options.agent ?? false,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  };
  return new Promise((resolve, reject) => {
    const sent = request(`${base}${options.path}`, settings, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          request_id: String(response.headers['request-id'] ?? ''),
          replayed: response.headers['idempotent-replayed'] === 'true',
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

/** The JSON log lines in a process's output; other lines (warnings of libraries) are skipped. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Which process answered each request, by request id, from Fastify's `request completed` lines. */
export function answeringPids(output: string): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of logLines(output))
    if (line.msg === 'request completed') pids.set(String(line.reqId), Number(line.pid));
  return pids;
}

/** Polls `check` until it returns a value, or throws naming `what` once `timeout_ms` has passed. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeout_ms: number,
): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout_ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True while a process with this pid runs. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the children a `serve --processes` primary forked, in fork order, as its log names them. */
export function childPids(run: PurseProcess, role: 'api' | 'worker'): number[] {
  return logLines(run.output())
    .filter((line) => line.msg === `started ${role} process`)
    .map((line) => Number(line.child_pid));
}

/** The lines the primary itself logged (not its children), in order. */
export function primaryLines(run: PurseProcess): Record<string, unknown>[] {
  return logLines(run.output()).filter((line) => line.pid === run.child.pid);
}

/** The distinct processes that answered these responses (their log lines may come a moment later). */
export async function answeredBy(
  run: PurseProcess,
  responses: readonly FreshResponse[],
): Promise<Set<number>> {
  const pids = await eventually(
    'a log line for each response',
    async () => {
      const logged = answeringPids(run.output());
      return responses.every((response) => logged.has(response.request_id)) ? logged : undefined;
    },
    10_000,
  );
  return new Set(responses.map((response) => pids.get(response.request_id) ?? 0));
}

/**
 * Runs `purse` processes for one test file and kills, at the end, every one still running and
 * every child they forked, whatever happened.
 */
export function processTracker() {
  const running: PurseProcess[] = [];
  return {
    start(args: string[], env: Record<string, string>): PurseProcess {
      const run = runPurse(args, env);
      running.push(run);
      return run;
    },
    killAll(): void {
      for (const run of running) {
        for (const pid of [...childPids(run, 'api'), ...childPids(run, 'worker')])
          if (alive(pid)) process.kill(pid, 'SIGKILL');
        if (run.child.exitCode === null) run.child.kill('SIGKILL');
      }
    },
  };
}

/**
 * Keep-alive agents of one socket each, `per_process` of them held by each of the `processes` API
 * processes of `run`: requests sent through them later reach a known process, whatever else is in
 * flight. Opened one after another while the processes are idle, so the port hands them round.
 */
export async function agentsPerProcess(
  run: PurseProcess,
  base: string,
  key: string,
  counts: { readonly processes: number; readonly per_process: number },
): Promise<Agent[][]> {
  const by_pid = new Map<number, Agent[]>();
  const full = () =>
    by_pid.size === counts.processes &&
    [...by_pid.values()].every((agents) => agents.length >= counts.per_process);
  for (let opened = 0; !full(); opened += 1) {
    if (opened > 4 * counts.processes * counts.per_process)
      throw new Error('the port did not hand connections round');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const response = await freshRequest(base, { method: 'GET', path: '/v1/assets', key, agent });
    const [pid = 0] = await answeredBy(run, [response]);
    const agents = by_pid.get(pid) ?? [];
    if (agents.length < counts.per_process) by_pid.set(pid, [...agents, agent]);
    else agent.destroy();
  }
  return [...by_pid.values()];
}
