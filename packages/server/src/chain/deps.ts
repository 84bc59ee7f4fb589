import type { Limits } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { RailsConfig } from '../rails/index.js';
import type { EvmConfig } from './config.js';

/** What the EVM rail's worker tasks need: the database, the limits and rails, and the chain. */
export interface ChainDeps {
  readonly pool: Pool;
  readonly limits: Limits;
  readonly rails: RailsConfig;
  readonly evm: EvmConfig;
  /** The worker's stop: aborts the node calls in flight. Unset outside the worker. */
  readonly stopping?: AbortSignal;
}
