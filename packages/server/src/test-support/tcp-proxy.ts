import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP relay to a server that can go silent, as a machine that died without closing its sockets. */
export interface SilenceableProxy {
  readonly port: number;
  /** Nothing passes on any connection open now, and new ones are accepted but never answered. */
  silence(): void;
  /** New connections are relayed again; the silenced ones stay silent. */
  resume(): void;
  close(): Promise<void>;
}

export async function startSilenceableProxy(
  target_host: string,
  target_port: number,
): Promise<SilenceableProxy> {
  let silent = false;
  const sockets = new Set<Socket>();
  const live_pairs = new Set<{ dead: boolean }>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server: Server = createServer((client) => {
    track(client);
    if (silent) return; // accepted, never answered
    const upstream = connect(target_port, target_host);
    track(upstream);
    const pair = { dead: false };
    live_pairs.add(pair);
    const relay = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (!pair.dead) to.write(chunk);
      });
      // A silenced pair stays open on both sides; a live one passes its close on.
      from.on('close', () => {
        live_pairs.delete(pair);
        if (!pair.dead) to.destroy();
      });
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    silence: () => {
      silent = true;
      for (const pair of live_pairs) pair.dead = true;
    },
    resume: () => {
      silent = false;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
