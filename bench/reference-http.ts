import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../packages/server/src/shared/ports.js';
import { type CpuSpent, measured } from './cpu.js';
import { type LoadResult, load } from './load.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Drives the bare Fastify server (bare-server.ts, in a process of its own as Purse is) with the
 * load generator and body of the uniform scenario: what HTTP alone costs on this machine today,
 * and the server's CPU time meanwhile.
 */
export async function runHttpReference(
  duration_s: number,
  connections: number,
  body: () => unknown,
): Promise<{ value: LoadResult; cpu: CpuSpent | undefined }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'bare-server.ts')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    const base_url = `http://127.0.0.1:${port}`;
    for (
      let tries = 0;
      !(await fetch(`${base_url}/v1/transfers`, { method: 'OPTIONS' }).then(
        () => true,
        () => false,
      ));
      tries += 1
    ) {
      if (tries > 100) throw new Error('the bare server did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return await measured({ server: child.pid, postmaster: undefined }, () =>
      load({ base_url, api_key: 'none', path: '/v1/transfers', duration_s, connections, body }),
    );
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
