import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test_kek_text } from './kek.js';

const server_root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface PurseProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  waitForOutput(pattern: RegExp, timeout_ms?: number): Promise<RegExpExecArray>;
}

/**
 * Runs the real CLI (`purse ...` from source through tsx) as a child process, with the test
 * process's KEK unless `env` says otherwise (an empty PURSE_KEK: none).
 */
export function runPurse(args: string[], env: Record<string, string>): PurseProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: server_root,
    // Process tests stream requests on one key: no rate limit unless the test sets one.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'info',
      PURSE_RATE_LIMIT_REQUESTS_MAX: '0',
      PURSE_RATE_LIMIT_BOUND_REQUESTS_MAX: '0',
      PURSE_KEK: test_kek_text,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async waitForOutput(pattern, timeout_ms = 60_000) {
      const deadline = Date.now() + timeout_ms;
      for (;;) {
        const match = pattern.exec(output);
        if (match !== null) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`did not see ${pattern} (exit ${child.exitCode}); output:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

export async function waitForReady(base_url: string, timeout_ms = 60_000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (Date.now() < deadline) {
    const ready = await fetch(`${base_url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${base_url} never became ready`);
}
