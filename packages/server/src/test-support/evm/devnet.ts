import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

/** A local EVM chain (anvil) for tests: started on a free port, with no network access. */
export interface Devnet {
  readonly rpc_url: string;
  readonly port: number;
  /** Raw JSON-RPC, for the calls only a devnet has (evm_snapshot, evm_revert, anvil_mine). */
  rpc<T>(method: string, params?: unknown[]): Promise<T>;
  /** Mines `blocks` empty blocks. */
  mine(blocks?: number): Promise<void>;
  stop(): Promise<void>;
}

const start_timeout_ms = 20_000;
/** anvil's own chain id; the rail is told it through PURSE_EVM_CHAIN_ID like any other. */
export const devnet_chain_id = 31_337;

/**
 * The anvil binary from its platform package (`@foundry-rs/anvil-<os>-<arch>`, an optional
 * dependency of `@foundry-rs/anvil`): the package's install script only copies it, so it is run
 * straight from there and no install script has to be allowed.
 */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const manifest = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  return path.join(path.dirname(manifest), 'bin', 'anvil');
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts anvil (automining: every transaction gets its own block at once) and waits for it. */
export async function startDevnet(options: { port?: number; gas_limit?: bigint } = {}): Promise<Devnet> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    anvilBinary(),
    [
      ...['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(devnet_chain_id), '--silent'],
      ...(options.gas_limit === undefined ? [] : ['--gas-limit', options.gas_limit.toString()]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const rpc_url = `http://127.0.0.1:${port}`;
  const rpc = <T>(method: string, params: unknown[] = []) => jsonRpc<T>(rpc_url, method, params);
  await waitForChain(child, rpc, () => stderr);
  return {
    rpc_url,
    port,
    rpc,
    mine: async (blocks = 1) => {
      await rpc('anvil_mine', [`0x${blocks.toString(16)}`]);
    },
    stop: () => stopChild(child),
  };
}

async function waitForChain(
  child: ChildProcess,
  rpc: (method: string) => Promise<unknown>,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + start_timeout_ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`anvil exited (${child.exitCode}): ${stderr()}`);
    if (
      await rpc('eth_chainId').then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stopChild(child);
  throw new Error(`anvil did not answer within ${start_timeout_ms} ms: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function jsonRpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}
