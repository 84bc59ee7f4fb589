import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../app.js';
import type { TestApp } from './app.js';

const repository_root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const guide_timeout_ms = 60_000;

/** One request the server answered while the guide ran; ids in the path read `:id`. */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface GuideRun {
  readonly stdout: string;
  readonly exchanges: readonly Exchange[];
}

/**
 * Turns a Markdown guide into a bash script: the lines of its ```sh blocks, in order, and a blank
 * line for every other line, so that bash's line numbers are the guide's. Variables carry from one
 * block to the next, as they would in a reader's terminal.
 */
export function guideScript(markdown: string): string {
  let inside = false;
  const lines = markdown.split('\n').map((line) => {
    if (/^```/.test(line)) {
      inside = !inside && /^```(sh|bash)\s*$/.test(line);
      return '';
    }
    return inside ? line : '';
  });
  lines[0] = `set -euo pipefail; trap 'echo "guide failed at line $LINENO" >&2' ERR; ${lines[0]}`;
  return lines.join('\n');
}

/**
 * Runs the shell examples of a guide (a path from the repository root, e.g. `docs/guides/escrow.md`,
 * or an absolute one)
 * with bash and curl against a real server on a socket, over the test app's database, clock and
 * key: `PURSE` is its address and `KEY` the test-mode admin key. Fails when a command fails (errexit,
 * nounset, pipefail) or when any response is a 5xx; returns what the script printed and every
 * exchange, for the test to check the statuses and the objects the guide made.
 */
export async function runGuide(t: TestApp, guide: string): Promise<GuideRun> {
  const script = guideScript(await readFile(path.resolve(repository_root, guide), 'utf8'));
  const app = await buildApp({ pool: t.db.pool, config: t.config, clock: t.clock });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const exchanges: Exchange[] = [];
  app.server.on('request', (request, response) => {
    response.on('finish', () => {
      const url = (request.url ?? '').replace(/\b[a-z]+_[0-9a-z]{26}\b/g, ':id');
      exchanges.push({ method: request.method ?? '', path: url, status: response.statusCode });
    });
  });
  try {
    const { code, stdout, stderr } = await bash(script, { PURSE: base, KEY: t.test_key });
    const failed = exchanges.filter((exchange) => exchange.status >= 500);
    if (code !== 0 || failed.length > 0) {
      const log = exchanges.map((e) => `${e.method} ${e.path} ${e.status}`).join('\n');
      throw new Error(
        `${guide}: bash exited ${code}\n${stderr}\n--- output\n${stdout}\n--- requests\n${log}`,
      );
    }
    return { stdout, exchanges };
  } finally {
    await app.close();
  }
}

function bash(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'guide'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: guide_timeout_ms,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
