import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A JSON-RPC proxy in front of the devnet, so a test can take "the node" down and bring it back,
 * or hold one method's answer (to act while a worker's round is in the middle of it).
 */
export interface RpcProxy {
  readonly url: string;
  down(): void;
  up(): void;
  /** Holds every call of `method` until the returned release is called. */
  hold(method: string): { release(): void; reached: Promise<void> };
  close(): Promise<void>;
}

export async function startRpcProxy(target_url: string): Promise<RpcProxy> {
  let is_down = false;
  const holds = new Map<string, { gate: Promise<void>; arrived: () => void }>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      if (is_down) {
        request.socket.destroy();
        return;
      }
      const body = Buffer.concat(chunks).toString();
      const held = holds.get(methodOf(body));
      if (held !== undefined) {
        held.arrived();
        await held.gate;
      }
      // Taken down while held: the call is lost on its way, as to a node that went away.
      if (is_down) {
        request.socket.destroy();
        return;
      }
      try {
        const answer = await fetch(target_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(await answer.text());
      } catch {
        request.socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    down: () => {
      is_down = true;
    },
    up: () => {
      is_down = false;
    },
    hold(method) {
      let release = () => {};
      let arrived = () => {};
      const gate = new Promise<void>((resolve) => {
        release = () => {
          holds.delete(method);
          resolve();
        };
      });
      const reached = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      holds.set(method, { gate, arrived });
      return { release, reached };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function methodOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { method?: string } | { method?: string }[];
    return (Array.isArray(parsed) ? parsed[0]?.method : parsed.method) ?? '';
  } catch {
    return '';
  }
}
