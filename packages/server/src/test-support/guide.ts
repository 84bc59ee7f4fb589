import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
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

/** The heredoc delimiter that ends a TypeScript block in the script. */
const ts_block_end = 'PURSE_TS_BLOCK';

/**
 * Runs one TypeScript block (its text on stdin) as an ES module with tsx, from a file in
 * `PURSE_TS_DIR`, inside the repository so that `@purse/sdk` resolves to the workspace's SDK (its
 * sources, through the `@purse/source` condition: no build needed). A failure returns from the
 * function, so that the ERR trap names the block's line in the guide.
 */
const ts_runner = `purse_ts() { PURSE_TS_N=$((PURSE_TS_N + 1)); local file="$PURSE_TS_DIR/block-$PURSE_TS_N.mts"; cat > "$file"; node --conditions=@purse/source --import tsx "$file" || return; }; PURSE_TS_N=0;`;

/**
 * Turns a Markdown guide into a bash script: the lines of its ```sh blocks, in order, and a blank
 * line for every other line, so that bash's line numbers are the guide's. Variables carry from one
 * block to the next, as they would in a reader's terminal. A ```ts block becomes a heredoc run by
 * `purse_ts` (tsx, with `PURSE` and `KEY` in `process.env`), on its own lines too.
 */
export function guideScript(markdown: string): string {
  let inside: 'sh' | 'ts' | undefined;
  const lines = markdown.split('\n').map((line) => {
    if (!/^```/.test(line)) return inside === undefined ? '' : line;
    if (inside !== undefined) {
      const closing = inside === 'ts' ? ts_block_end : '';
      inside = undefined;
      return closing;
    }
    if (/^```(sh|bash)\s*$/.test(line)) inside = 'sh';
    if (/^```(ts|typescript)\s*$/.test(line)) inside = 'ts';
    return inside === 'ts' ? `purse_ts <<'${ts_block_end}'` : '';
  });
  lines[0] = `set -euo pipefail; trap 'echo "guide failed at line $LINENO" >&2' ERR; ${ts_runner} ${lines[0]}`;
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
export async function runGuide(
  t: TestApp,
  guide: string,
  /** More variables for the script, e.g. a devnet's URL. */
  env: Record<string, string> = {},
): Promise<GuideRun> {
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
  // Inside the repository, so that the TypeScript blocks' imports resolve to its packages.
  const ts_parent = path.join(repository_root, 'node_modules', '.cache', 'purse-guides');
  await mkdir(ts_parent, { recursive: true });
  const ts_dir = await mkdtemp(path.join(ts_parent, 'guide-'));
  try {
    const { code, stdout, stderr } = await bash(script, {
      PURSE: base,
      KEY: t.test_key,
      PURSE_TS_DIR: ts_dir,
      ...env,
    });
    const failed = exchanges.filter((exchange) => exchange.status >= 500);
    if (code !== 0 || failed.length > 0) {
      const log = exchanges.map((e) => `${e.method} ${e.path} ${e.status}`).join('\n');
      throw new Error(
        `${guide}: bash exited ${code}\n${stderr}\n--- output\n${stdout}\n--- requests\n${log}`,
      );
    }
    return { stdout, exchanges };
  } finally {
    await rm(ts_dir, { recursive: true, force: true });
    await app.close();
  }
}

function bash(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // From the repository's root, where a reader runs the README's commands and where paths in guides start.
    const child = spawn('bash', ['-c', script, 'guide'], {
      cwd: repository_root,
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
