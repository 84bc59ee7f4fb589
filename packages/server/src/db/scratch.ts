import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../shared/ports.js';
import { startEmbedded } from './embedded.js';

export interface ScratchServer {
  /** A URL whose role may create databases. */
  readonly admin_url: string;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server for throwaway databases (tests, benchmarks): DATABASE_URL's when set,
 * otherwise an embedded one in a temporary folder on a free port, deleted again by `stop()`.
 */
export async function scratchServer(
  label: string,
  /** Server settings for an embedded one, as `-c name=value` pairs (the bench loads pg_stat_statements). */
  settings: readonly string[] = [],
): Promise<ScratchServer> {
  const given = process.env.DATABASE_URL;
  if (given !== undefined && given !== '') return { admin_url: given, stop: async () => {} };
  const data_dir = await mkdtemp(path.join(tmpdir(), `purse-${label}-`));
  const embedded = await startEmbedded({
    data_dir,
    port: await freePort(),
    persistent: false,
    settings,
    log: () => undefined,
  });
  return {
    admin_url: embedded.owner_url,
    async stop() {
      await embedded.stop();
      await rm(data_dir, { recursive: true, force: true });
    },
  };
}
