import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type AppDeps, buildApp } from '../app.js';
import { admin_scopes, createApiKey } from '../auth/keys-service.js';
import { type Config, loadConfig } from '../config.js';
import { createPool, inTransaction } from '../db/pool.js';
import { verifyLedger } from '../ledger/verify.js';
import type { Clock } from '../shared/clock.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { asApplicationRole } from './global-setup.js';

/** A clock tests can move. */
export class TestClock implements Clock {
  constructor(private current = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly db: TestDatabase;
  readonly clock: TestClock;
  readonly config: Config;
  /** An all-scopes test-mode secret and a live-mode one. */
  readonly test_key: string;
  readonly live_key: string;
  /** inject() with the test key unless `key` says otherwise (null: no Authorization header). */
  request(options: InjectOptions & { key?: string | null }): Promise<LightMyRequestResponse>;
  /**
   * Closes the app and drops the database, after checking the whole ledger with `verifyLedger`
   * (issue 13: verify passes after every test file that moves money). A test that corrupts the
   * ledger on purpose passes `{ verify: false }`.
   */
  close(options?: { verify?: boolean }): Promise<void>;
}

/** Both ways a group-commit engine runs, for tests that must hold in each. */
export const group_commit_modes = [
  { name: 'group commit on', group_commit: { batch_size_max: 100, flushes_in_flight_max: 2 } },
  { name: 'group commit off', group_commit: { batch_size_max: 1, flushes_in_flight_max: 10 } },
];

export async function createTestApp(
  overrides: Partial<Config['limits']> = {},
  group_commit: Partial<Config['group_commit']> = {},
  rails: Partial<Config['rails']> = {},
  webhooks: Partial<Config['webhooks']> = {},
  /**
   * as_application_role: the app logs in as production's API does, as a role that owns nothing
   * (db/roles.ts); `db.pool` stays the owner's, for a test's own setup and inspection.
   */
  options: {
    as_application_role?: boolean;
    challenges?: Partial<Config['challenges']>;
    /** The authorization server's issuer (its public URL), for tests that listen on a real port. */
    oauth_issuer?: string;
    /** HTTPS (and client certificates), for tests that listen on a real port. */
    tls?: AppDeps['tls'];
    /** The dashboard build to serve (default: packages/dashboard/dist). */
    dashboard_dir?: string;
  } = {},
): Promise<TestApp> {
  const db = await createTestDatabase();
  const base = loadConfig({ DATABASE_URL: db.url });
  const config: Config = {
    ...base,
    // Tests send bursts on one key with a clock that stands still: no rate limit unless asked for.
    limits: { ...base.limits, rate_limit_requests_max: 0, rate_limit_bound_requests_max: 0, ...overrides },
    group_commit: { ...base.group_commit, ...group_commit },
    rails: { ...base.rails, ...rails },
    webhooks: { ...base.webhooks, ...webhooks },
    challenges: { ...base.challenges, ...options.challenges },
    oauth: { ...base.oauth, ...(options.oauth_issuer === undefined ? {} : { issuer: options.oauth_issuer }) },
  };
  const clock = new TestClock();
  const pool = options.as_application_role === true ? createPool(asApplicationRole(db.url), 10) : db.pool;
  const app = await buildApp({
    pool,
    config,
    clock,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.dashboard_dir === undefined ? {} : { dashboard_dir: options.dashboard_dir }),
  });
  const [test, live] = await inTransaction(pool, async (client) => [
    await createApiKey(client, { livemode: false, name: 'test admin', scopes: admin_scopes }),
    await createApiKey(client, { livemode: true, name: 'live admin', scopes: admin_scopes }),
  ]);
  const test_key = test.secret ?? '';
  const live_key = live.secret ?? '';
  return {
    app,
    db,
    clock,
    config,
    test_key,
    live_key,
    request({ key, headers, ...options }) {
      const secret = key === undefined ? test_key : key;
      return app.inject({
        ...options,
        headers: { ...(secret === null ? {} : { authorization: `Bearer ${secret}` }), ...headers },
      });
    },
    async close(close_options = {}) {
      await app.close();
      if (pool !== db.pool) await pool.end();
      if (close_options.verify !== false) {
        const violations = await verifyLedger(db.pool);
        if (violations.length > 0) {
          await db.drop();
          throw new Error(`the ledger does not verify after this file: ${JSON.stringify(violations)}`);
        }
      }
      await db.drop();
    },
  };
}
