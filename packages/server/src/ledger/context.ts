import type { Limits } from '../config.js';
import type { DeferredInserts } from '../db/deferred.js';
import type { Client, Pool } from '../db/pool.js';

/**
 * What a money-moving service needs: the request's transaction (`db`), the pool for work that must
 * commit on its own (creating a system account), the caller's mode, the limits and the time.
 */
export interface WriteContext {
  readonly db: Client;
  readonly pool: Pool;
  readonly livemode: boolean;
  readonly limits: Limits;
  readonly now: Date;
  /**
   * Where writes that nothing reads back may go to be sent together with others later, in one
   * statement (the group-commit engine's); absent: `db`, at once.
   */
  readonly later?: DeferredInserts;
}
