import type { Config } from '../config.js';
import type { Queryable } from '../db/pool.js';
import { type LoadedKek, loadKek } from './kek.js';
import { installKek, loadDataKeys, startDataKeyRefresh } from './keyring.js';

/** How often a running process looks for data keys another process made (a rotation). */
export const data_key_refresh_ms = 5_000;

/**
 * The KEK for this process, before anything else starts: from the environment or its file, or, on
 * the embedded database (no DATABASE_URL), a file made in the data directory on first start.
 * Throws KekError (`kek_missing`, `kek_invalid`) when there is none to be had.
 */
export async function installProcessKek(config: Config): Promise<LoadedKek> {
  const loaded = await loadKek(config.kek, config.database_url === undefined ? config.data_dir : undefined);
  installKek(loaded.kek, loaded.previous);
  return loaded;
}

/** Unwraps the database's data keys (`kek_mismatch` if the KEK is not theirs) and keeps them fresh. */
export async function openDataKeys(db: Queryable, onError: (error: unknown) => void): Promise<() => void> {
  await loadDataKeys(db);
  return startDataKeyRefresh(db, data_key_refresh_ms, onError);
}
