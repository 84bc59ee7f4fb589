import { createTestApp, type TestApp } from '../../server/src/test-support/app.js';
import { Purse, type PurseOptions } from '../src/index.js';

/** A real Purse server on a socket, over its own database, and a client with its test key. */
export interface LiveServer {
  readonly t: TestApp;
  readonly base_url: string;
  client(options?: PurseOptions & { key?: string }): Purse;
  close(): Promise<void>;
}

export async function startServer(...args: Parameters<typeof createTestApp>): Promise<LiveServer> {
  const t = await createTestApp(...args);
  const base_url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    t,
    base_url,
    client: ({ key, ...options } = {}) => new Purse(key ?? t.test_key, { baseUrl: base_url, ...options }),
    close: () => t.close(),
  };
}
