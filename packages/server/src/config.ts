import path from 'node:path';
import type { BankDebtor, RailsConfig } from './rails/index.js';

/**
 * Every tunable of the service, read once from the environment. Each limit carries its unit in its
 * name so that a reader never has to guess whether `30` means seconds or milliseconds.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Unset: `purse serve` starts an embedded PostgreSQL under `data_dir`. */
  readonly database_url: string | undefined;
  readonly data_dir: string;
  readonly embedded_pg_port: number;
  readonly db_pool_size_max: number;
  readonly log_level: string;
  readonly bootstrap_key: string | undefined;
  readonly limits: Limits;
  readonly group_commit: GroupCommitConfig;
  readonly rails: RailsConfig;
  /** Set: rate-limit counters live in this Redis, shared by every API process; unset: in memory. */
  readonly redis_url: string | undefined;
  /** Paths of a PEM certificate and its key (TLS_CERT, TLS_KEY): set, the API serves HTTPS only. */
  readonly tls: { readonly cert_path: string; readonly key_path: string } | undefined;
}

/** How POST /v1/transfers batches concurrent requests into shared transactions (see transfers/group-commit.ts). */
export interface GroupCommitConfig {
  /** Transfers per database transaction; 1 turns group commit off. */
  readonly batch_size_max: number;
  /** Extra wait for a fuller batch while another is being written; 0: none. */
  readonly batch_wait_ms: number;
  /** Batches written concurrently, each on its own connection. */
  readonly flushes_in_flight_max: number;
}

export interface Limits {
  readonly body_bytes_max: number;
  readonly page_size_max: number;
  readonly page_size_default: number;
  readonly metadata_keys_max: number;
  readonly metadata_key_chars_max: number;
  readonly metadata_value_chars_max: number;
  readonly idempotency_key_chars_max: number;
  readonly idempotency_retention_s: number;
  /** How long a request waits for another request holding the same idempotency key. */
  readonly idempotency_wait_ms_max: number;
  readonly api_key_cache_ttl_ms: number;
  readonly api_key_cache_entries_max: number;
  readonly request_timeout_ms: number;
  readonly shutdown_grace_ms: number;
  readonly worker_tick_ms: number;
  /** Requests per key per window (a key may override it); 0 turns rate limiting off. */
  readonly rate_limit_requests_max: number;
  readonly rate_limit_window_ms: number;
  /** How long a rolled key's previous secret keeps working when the roll does not say. */
  readonly key_roll_grace_s_default: number;
  readonly key_roll_grace_s_max: number;
  /** How long an approval waits for a decision before the worker expires it. */
  readonly approval_ttl_s: number;
}

export const defaultLimits: Limits = {
  body_bytes_max: 1_048_576,
  page_size_max: 100,
  page_size_default: 20,
  metadata_keys_max: 50,
  metadata_key_chars_max: 40,
  metadata_value_chars_max: 500,
  idempotency_key_chars_max: 255,
  idempotency_retention_s: 86_400,
  idempotency_wait_ms_max: 5_000,
  api_key_cache_ttl_ms: 5_000,
  api_key_cache_entries_max: 10_000,
  request_timeout_ms: 30_000,
  shutdown_grace_ms: 10_000,
  worker_tick_ms: 1_000,
  rate_limit_requests_max: 100,
  rate_limit_window_ms: 1_000,
  key_roll_grace_s_default: 86_400,
  key_roll_grace_s_max: 7 * 86_400,
  approval_ttl_s: 7 * 86_400,
};

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  const db_pool_size_max = intFromEnv(env, 'PURSE_DB_POOL_SIZE_MAX', 20);
  return {
    port: intFromEnv(env, 'PORT', 8080),
    host: env.HOST ?? '0.0.0.0',
    database_url: nonEmpty(env.DATABASE_URL),
    data_dir: path.resolve(env.PURSE_DATA_DIR ?? '.purse'),
    embedded_pg_port: intFromEnv(env, 'PURSE_EMBEDDED_PG_PORT', 54329),
    db_pool_size_max,
    log_level: env.LOG_LEVEL ?? 'info',
    bootstrap_key: nonEmpty(env.PURSE_BOOTSTRAP_KEY),
    redis_url: nonEmpty(env.REDIS_URL),
    tls: tlsFromEnv(env),
    group_commit: groupCommitFromEnv(env, db_pool_size_max),
    rails: {
      sandbox_step_ms: intFromEnv(env, 'PURSE_SANDBOX_STEP_MS', 10_000),
      bank_debtor: bankDebtorFromEnv(env),
    },
    limits: {
      ...defaultLimits,
      body_bytes_max: intFromEnv(env, 'PURSE_BODY_BYTES_MAX', defaultLimits.body_bytes_max),
      idempotency_retention_s: intFromEnv(
        env,
        'PURSE_IDEMPOTENCY_RETENTION_S',
        defaultLimits.idempotency_retention_s,
      ),
      api_key_cache_ttl_ms: intFromEnv(env, 'PURSE_API_KEY_CACHE_TTL_MS', defaultLimits.api_key_cache_ttl_ms),
      worker_tick_ms: intFromEnv(env, 'PURSE_WORKER_TICK_MS', defaultLimits.worker_tick_ms),
      ...accessLimitsFromEnv(env),
    },
  };
}

function groupCommitFromEnv(env: Env, pool_size: number): GroupCommitConfig {
  const batch_size_max = intFromEnv(env, 'PURSE_GROUP_COMMIT_SIZE_MAX', 100);
  return {
    batch_size_max: Math.max(1, batch_size_max),
    batch_wait_ms: intFromEnv(env, 'PURSE_GROUP_COMMIT_WAIT_MS', 0),
    // Without batching, every request is its own transaction, limited only by the pool.
    flushes_in_flight_max: Math.max(
      1,
      intFromEnv(env, 'PURSE_GROUP_COMMIT_FLUSHES_MAX', batch_size_max <= 1 ? pool_size : 2),
    ),
  };
}

function tlsFromEnv(env: Env): Config['tls'] {
  const cert_path = nonEmpty(env.TLS_CERT);
  const key_path = nonEmpty(env.TLS_KEY);
  if (cert_path === undefined && key_path === undefined) return undefined;
  if (cert_path === undefined || key_path === undefined) throw new Error('TLS_CERT and TLS_KEY go together');
  return { cert_path, key_path };
}

function accessLimitsFromEnv(env: Env) {
  return {
    rate_limit_requests_max: intFromEnv(
      env,
      'PURSE_RATE_LIMIT_REQUESTS_MAX',
      defaultLimits.rate_limit_requests_max,
    ),
    rate_limit_window_ms: Math.max(
      1,
      intFromEnv(env, 'PURSE_RATE_LIMIT_WINDOW_MS', defaultLimits.rate_limit_window_ms),
    ),
    approval_ttl_s: Math.max(1, intFromEnv(env, 'PURSE_APPROVAL_TTL_S', defaultLimits.approval_ttl_s)),
  };
}

/** The platform's bank account for live payouts: name, IBAN and BIC, or none. */
function bankDebtorFromEnv(env: Env): BankDebtor | undefined {
  const iban = nonEmpty(env.PURSE_BANK_DEBTOR_IBAN);
  if (iban === undefined) return undefined;
  const name = nonEmpty(env.PURSE_BANK_DEBTOR_NAME);
  const bic = nonEmpty(env.PURSE_BANK_DEBTOR_BIC);
  if (name === undefined || bic === undefined)
    throw new Error(
      'PURSE_BANK_DEBTOR_NAME and PURSE_BANK_DEBTOR_BIC are required with PURSE_BANK_DEBTOR_IBAN',
    );
  return { name, iban, bic };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function intFromEnv(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}
