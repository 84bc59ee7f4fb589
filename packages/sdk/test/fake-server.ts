import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer: a status with a problem code and headers, a dropped connection, or a hang. */
export type Scripted =
  | {
      readonly status: number;
      readonly code?: string;
      readonly headers?: Record<string, string>;
      readonly body?: unknown;
    }
  | 'drop'
  | 'hang';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * A local HTTP server that answers each request with the next scripted answer (the last one
 * repeats) and records what it was sent: for what a real server will not do on cue (503s, 429s,
 * dropped connections).
 */
export class FakeServer {
  readonly seen: SeenRequest[] = [];
  private readonly server: Server;
  private script: Scripted[] = [];

  private constructor() {
    this.server = createServer((request, response) => this.answer(request, response));
  }

  static async start(): Promise<FakeServer & { readonly base_url: string }> {
    const fake = new FakeServer();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.server.address() as AddressInfo;
    return Object.assign(fake, { base_url: `http://127.0.0.1:${port}` });
  }

  answers(...script: Scripted[]): void {
    this.script = script;
    this.seen.length = 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      this.seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
      });
      const next = this.script.length > 1 ? this.script.shift() : this.script[0];
      if (next === undefined || next === 'drop') {
        request.socket.destroy();
        return;
      }
      if (next === 'hang') return;
      const payload =
        next.body ??
        (next.status >= 400
          ? {
              type: `urn:purse:problem:${next.code}`,
              title: 't',
              status: next.status,
              detail: 'd',
              code: next.code,
              request_id: 'req_fake',
            }
          : { id: 'wal_fake', object: 'wallet' });
      response.writeHead(next.status, {
        'content-type': next.status >= 400 ? 'application/problem+json' : 'application/json',
        ...next.headers,
      });
      response.end(JSON.stringify(payload));
    });
  }
}
