import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { evmFromEnv } from './chain/config.js';
import type { KekSettings } from './crypto/kek.js';
import { parseHostList } from './db/hosts.js';
import { fxConfigFromEnv } from './fx/config.js';
import { type IdentityConfig, identityConfigFromEnv } from './identity/config.js';
import { type OperatorsConfig, operatorsConfigFromEnv } from './operators/config.js';
import type { BankDebtor, RailsConfig } from './rails/index.js';
import { type BenchSkip, bench_skip_parts } from './shared/bench-skips.js';
import { type TracingConfig, tracingConfigFromEnv } from './tracing/config.js';

/**
 * Every tunable of the service, read once from the environment. Each limit carries its unit in its
 * name so that a reader never has to guess whether `30` means seconds or milliseconds.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Unset: `purse serve` starts an embedded PostgreSQL under `data_dir`. */
  readonly database_url: string | undefined;
  /**
   * The schema owner's URL, for migrations and operator commands, when `database_url` logs in as
   * an application role that owns nothing (db/roles.ts); unset, one role does both.
   */
  readonly database_migration_url: string | undefined;
  /**
   * A hot standby for the heavy reads (reports, search, statements, the audit trail), used while it
   * is at most `replica_max_lag_ms` behind the primary (db/replica.ts); unset: every read on the primary.
   */
  readonly database_replica_url: string | undefined;
  /** How stale a read sent to the replica may be; past it, reads go to the primary. */
  readonly replica_max_lag_ms: number;
  readonly data_dir: string;
  readonly embedded_pg_port: number;
  readonly db_pool_size_max: number;
  /**
   * `purse serve --processes N` or PURSE_PROCESSES: N API processes and a worker process under one
   * primary (cli/primary.ts); unset, `serve` is one process.
   */
  readonly processes: number | undefined;
  /** The background worker's own pool, so a busy worker never takes the API's connections. */
  readonly worker_db_pool_size_max: number;
  /** PostgreSQL cancels a statement (lock waits included) running longer; 0: no limit. */
  readonly db_statement_timeout_ms: number;
  /** How long a caller waits for a pooled connection, a free one or a new one, before failing. */
  readonly db_connection_timeout_ms: number;
  readonly log_level: string;
  /** pretty: human lines; json: JSON lines; auto: pretty when stdout is a terminal. */
  readonly log_format: 'auto' | 'json' | 'pretty';
  readonly bootstrap_key: string | undefined;
  /**
   * The key-encryption key's source (PURSE_KEK, PURSE_KEK_FILE, and the previous one while
   * re-wrapping); unset with the embedded database, a KEK file is made in `data_dir`.
   */
  readonly kek: KekSettings;
  /** Unset: /metrics answers private addresses only; set: scrapers send it as a bearer token. */
  readonly metrics_token: string | undefined;
  /**
   * A port of its own for /metrics and /healthz, on `host`: where `purse worker` serves its
   * figures, and where the primary of `serve --processes` serves every child's, combined. Unset:
   * neither serves any. A single-process `serve` has /metrics on its API port and ignores it.
   */
  readonly metrics_port: number | undefined;
  readonly limits: Limits;
  readonly group_commit: GroupCommitConfig;
  /** PURSE_BENCH_SKIP: parts of the write path switched off for the benchmark (shared/bench-skips.ts). */
  readonly bench_skip: readonly BenchSkip[];
  readonly rails: RailsConfig;
  readonly events: EventsConfig;
  readonly webhooks: WebhookConfig;
  readonly challenges: ChallengesConfig;
  /** Uploads, the sanctions list and the verifier (identity/config.ts). */
  readonly identity: IdentityConfig;
  /** Dashboard sign-in, sessions and the four-eyes threshold (operators/config.ts). */
  readonly operators: OperatorsConfig;
  /** Set: rate-limit counters live in this Redis, shared by every API process; unset: in memory. */
  readonly redis_url: string | undefined;
  /** Paths of a PEM certificate and its key (TLS_CERT, TLS_KEY): set, the API serves HTTPS only. */
  readonly tls:
    | {
        readonly cert_path: string;
        readonly key_path: string;
        /**
         * TLS_CLIENT_CA: CA certificates (PEM) that sign partner apps' client certificates. Set, the
         * server asks clients for a certificate (optional) for RFC 8705 mutual-TLS apps (oauth.md).
         */
        readonly client_ca_path?: string;
      }
    | undefined;
  readonly oauth: OAuthConfig;
  /** OpenTelemetry traces (the OTEL_* variables, tracing/config.ts); undefined: off, nothing installed. */
  readonly tracing: TracingConfig | undefined;
}

/** The authorization server for partner apps (docs/oauth.md). */
export interface OAuthConfig {
  /** PURSE_OAUTH_ISSUER: the server's public URL of /oauth, as apps see it (RFC 8414 `issuer`). */
  readonly issuer: string;
  /**
   * PURSE_OAUTH_COOKIE_KEYS (comma-separated, newest first): sign the consent page's cookies. Unset:
   * random per process, so every API process behind one address must be given the same keys.
   */
  readonly cookie_keys: readonly string[];
  readonly access_token_ttl_s: number;
  readonly refresh_token_ttl_s: number;
  /** How long a consent, and the grant behind it, lasts unless revoked. */
  readonly consent_ttl_s: number;
}

/** One-time codes that confirm payments (see challenges/). */
export interface ChallengesConfig {
  /** How long a challenge waits for its code. */
  readonly ttl_s: number;
  /** Wrong codes a challenge takes before it fails. */
  readonly attempts_max: number;
  /** Codes a challenge may send in all (the first and its resends). */
  readonly sends_max: number;
  /** Wrong codes one holder may send in 24 hours over all their challenges (new challenges buy no guesses). */
  readonly holder_wrong_codes_max: number;
  /** Set (PURSE_SMTP_URL): codes go by email to holders that have one; unset: test mode's sandbox only. */
  readonly smtp: { readonly url: string; readonly from: string } | undefined;
  /** How long the sender waits for the SMTP server per step before trying again later. */
  readonly smtp_timeout_ms: number;
}

/** The event sequencer and the live stream (see events/sequencer.ts and events/stream.ts). */
export interface EventsConfig {
  /** How often each worker process orders newly committed events and queues their deliveries. */
  readonly sequence_interval_ms: number;
  readonly sequence_batch_max: number;
  /** How often an open GET /v1/events/stream looks for new events. */
  readonly stream_poll_ms: number;
  /** A comment line sent on an idle stream, so proxies keep it open and clients notice a dead one. */
  readonly stream_heartbeat_ms: number;
  /** Open streams per process; more are refused with 429. */
  readonly streams_max: number;
  /** Open streams per API key in one process, so one key cannot hold every stream; more are 429. */
  readonly streams_per_key_max: number;
  /** Retention (events/retention.ts): undefined keeps every event in the database forever. */
  readonly retention_days: number | undefined;
  /** Where archived months of events are written, one JSON-lines file each. */
  readonly archive_dir: string;
}

/** Webhook delivery (see webhooks/delivery.ts). */
export interface WebhookConfig {
  /** Seconds to wait before each retry (jittered ±20%); an event gets 1 + length attempts. */
  readonly retry_schedule_s: readonly number[];
  /** For one attempt: connecting, sending and reading the response. */
  readonly timeout_ms: number;
  /** Response bytes read; they are kept as the attempt's excerpt and the rest is never read. */
  readonly response_bytes_max: number;
  /** Attempts one worker process sends at once. */
  readonly deliveries_in_flight_max: number;
  /** Of those, to one endpoint: a slow endpoint cannot take every slot. */
  readonly deliveries_per_endpoint_in_flight_max: number;
  /**
   * Of those, to endpoints that are failing (`failing_since` set, timeouts included) together, so
   * many slow or dead endpoints leave the rest of the slots to healthy ones.
   */
  readonly failing_deliveries_in_flight_max: number;
  /** How often each worker process looks for due deliveries. */
  readonly poll_ms: number;
  /** CIDR ranges live-mode endpoints may reach although private (self-hosted networks). */
  readonly allowed_networks: readonly string[];
  readonly endpoints_per_mode_max: number;
  /** How long a rotated-out secret keeps signing, unless the rotation says otherwise. */
  readonly secret_grace_s_default: number;
  readonly secret_grace_s_max: number;
  /**
   * Events one replay request may queue (each one delivery); a replay matching more is refused
   * with 400, naming `since`.
   */
  readonly replay_events_max: number;
}

/** About three days: 5 s, 1 min, 5 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h, 24 h. */
export const default_retry_schedule_s = [5, 60, 300, 1_800, 3_600, 10_800, 21_600, 43_200, 86_400, 86_400];

/** How POST /v1/transfers batches concurrent requests into shared transactions (see transfers/group-commit.ts). */
export interface GroupCommitConfig {
  /** Transfers per database transaction; 1 turns group commit off. */
  readonly batch_size_max: number;
  /** Extra wait for a fuller batch while another is being written; 0: none. */
  readonly batch_wait_ms: number;
  /** Batches written concurrently, each on its own connection. */
  readonly flushes_in_flight_max: number;
  /**
   * Transfers waiting for a batch; a request that would pass it is answered 503 queue_full. A
   * request arriving at an empty queue is always taken, whatever its size.
   */
  readonly queued_transfers_max: number;
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
  /**
   * How long a request waits for a row lock (an account, a hold, an approval) another transaction
   * holds; past it the request is answered 409 lock_timeout and nothing is written.
   */
  readonly lock_wait_ms_max: number;
  readonly api_key_cache_ttl_ms: number;
  readonly api_key_cache_entries_max: number;
  /** From a connection's first byte to the end of its request headers; then the socket is closed. */
  readonly headers_timeout_ms: number;
  /** To receive a whole request, headers and body; the response (a stream) is not limited by it. */
  readonly request_timeout_ms: number;
  /** A socket with no traffic either way is closed; above the stream heartbeat, so streams live. */
  readonly socket_idle_timeout_ms: number;
  readonly shutdown_grace_ms: number;
  readonly worker_tick_ms: number;
  /** Requests per window for an unrestricted key without a spend policy (a key may override it); 0: unlimited. */
  readonly rate_limit_requests_max: number;
  /** Requests per window for a restricted or policy-bound key (a key may override it); 0: unlimited. */
  readonly rate_limit_bound_requests_max: number;
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
  lock_wait_ms_max: 5_000,
  api_key_cache_ttl_ms: 5_000,
  api_key_cache_entries_max: 10_000,
  headers_timeout_ms: 10_000,
  request_timeout_ms: 20_000,
  socket_idle_timeout_ms: 60_000,
  shutdown_grace_ms: 10_000,
  worker_tick_ms: 1_000,
  // Above what one server answers (about 34,000 bare requests/s, 2,000 transfers/s on the bench
  // host), so a platform's own backend is never throttled by default; agents stay at 100/s.
  rate_limit_requests_max: 10_000,
  rate_limit_bound_requests_max: 100,
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
    database_url: databaseUrlFromEnv(env, 'DATABASE_URL'),
    database_migration_url: databaseUrlFromEnv(env, 'DATABASE_MIGRATION_URL'),
    database_replica_url: databaseUrlFromEnv(env, 'DATABASE_REPLICA_URL'),
    replica_max_lag_ms: Math.max(1, intFromEnv(env, 'PURSE_REPLICA_MAX_LAG_MS', 1_000)),
    data_dir: path.resolve(env.PURSE_DATA_DIR ?? '.purse'),
    embedded_pg_port: intFromEnv(env, 'PURSE_EMBEDDED_PG_PORT', 54329),
    db_pool_size_max,
    processes: processesFrom(env.PURSE_PROCESSES, 'PURSE_PROCESSES'),
    worker_db_pool_size_max: Math.max(1, intFromEnv(env, 'PURSE_WORKER_DB_POOL_SIZE_MAX', 10)),
    db_statement_timeout_ms: intFromEnv(env, 'PURSE_DB_STATEMENT_TIMEOUT_MS', 15_000),
    db_connection_timeout_ms: Math.max(1, intFromEnv(env, 'PURSE_DB_CONNECTION_TIMEOUT_MS', 5_000)),
    log_level: env.LOG_LEVEL ?? 'info',
    log_format: env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty' ? env.LOG_FORMAT : 'auto',
    bootstrap_key: nonEmpty(env.PURSE_BOOTSTRAP_KEY),
    kek: {
      value: nonEmpty(env.PURSE_KEK),
      file: nonEmpty(env.PURSE_KEK_FILE),
      previous_value: nonEmpty(env.PURSE_KEK_PREVIOUS),
      previous_file: nonEmpty(env.PURSE_KEK_PREVIOUS_FILE),
    },
    metrics_token: nonEmpty(env.PURSE_METRICS_TOKEN),
    metrics_port:
      nonEmpty(env.PURSE_METRICS_PORT) === undefined ? undefined : intFromEnv(env, 'PURSE_METRICS_PORT', 0),
    redis_url: nonEmpty(env.REDIS_URL),
    tls: tlsFromEnv(env),
    oauth: oauthFromEnv(env),
    tracing: tracingConfigFromEnv(env),
    group_commit: groupCommitFromEnv(env, db_pool_size_max),
    bench_skip: benchSkipFromEnv(env),
    rails: {
      sandbox_step_ms: intFromEnv(env, 'PURSE_SANDBOX_STEP_MS', 10_000),
      bank_debtor: bankDebtorFromEnv(env),
      fx: fxConfigFromEnv(env),
      evm: evmFromEnv(env),
    },
    events: {
      sequence_interval_ms: intFromEnv(env, 'PURSE_EVENT_SEQUENCE_INTERVAL_MS', 200),
      sequence_batch_max: 1_000,
      stream_poll_ms: intFromEnv(env, 'PURSE_EVENT_STREAM_POLL_MS', 250),
      stream_heartbeat_ms: intFromEnv(env, 'PURSE_EVENT_STREAM_HEARTBEAT_MS', 15_000),
      streams_max: intFromEnv(env, 'PURSE_EVENT_STREAMS_MAX', 100),
      streams_per_key_max: Math.max(1, intFromEnv(env, 'PURSE_EVENT_STREAMS_PER_KEY_MAX', 5)),
      retention_days:
        nonEmpty(env.PURSE_EVENT_RETENTION_DAYS) === undefined
          ? undefined
          : Math.max(1, intFromEnv(env, 'PURSE_EVENT_RETENTION_DAYS', 0)),
      archive_dir: path.resolve(
        env.PURSE_EVENT_ARCHIVE_DIR ?? path.join(env.PURSE_DATA_DIR ?? '.purse', 'event-archives'),
      ),
    },
    webhooks: {
      retry_schedule_s: scheduleFromEnv(env, 'PURSE_WEBHOOK_RETRY_SCHEDULE'),
      timeout_ms: Math.max(1, intFromEnv(env, 'PURSE_WEBHOOK_TIMEOUT_MS', 10_000)),
      response_bytes_max: intFromEnv(env, 'PURSE_WEBHOOK_RESPONSE_BYTES_MAX', 4_096),
      ...deliverySlotsFromEnv(env),
      poll_ms: intFromEnv(env, 'PURSE_WEBHOOK_POLL_MS', 500),
      allowed_networks: networksFromEnv(env, 'PURSE_WEBHOOK_ALLOWED_NETWORKS'),
      endpoints_per_mode_max: 100,
      secret_grace_s_default: 86_400,
      secret_grace_s_max: 7 * 86_400,
      replay_events_max: Math.max(1, intFromEnv(env, 'PURSE_WEBHOOK_REPLAY_EVENTS_MAX', 1_000)),
    },
    challenges: {
      ttl_s: Math.max(30, intFromEnv(env, 'PURSE_CHALLENGE_TTL_S', 600)),
      attempts_max: Math.max(1, intFromEnv(env, 'PURSE_CHALLENGE_ATTEMPTS_MAX', 5)),
      sends_max: Math.max(1, intFromEnv(env, 'PURSE_CHALLENGE_SENDS_MAX', 5)),
      holder_wrong_codes_max: Math.max(1, intFromEnv(env, 'PURSE_CHALLENGE_HOLDER_WRONG_CODES_MAX', 20)),
      smtp: smtpFromEnv(env),
      smtp_timeout_ms: Math.max(1, intFromEnv(env, 'PURSE_SMTP_TIMEOUT_MS', 10_000)),
    },
    identity: identityConfigFromEnv(env),
    operators: operatorsConfigFromEnv(env),
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
      lock_wait_ms_max: Math.max(
        1,
        intFromEnv(env, 'PURSE_LOCK_WAIT_MS_MAX', defaultLimits.lock_wait_ms_max),
      ),
      ...accessLimitsFromEnv(env),
    },
  };
}

/** The most API processes one `purse serve --processes` runs (each holds a pool: see operations.md). */
export const api_processes_max = 64;

/** `--processes N` or PURSE_PROCESSES: a whole number from 1 to `api_processes_max`, or unset. */
export function processesFrom(text: string | undefined, name: string): number | undefined {
  const raw = nonEmpty(text);
  if (raw === undefined) return undefined;
  const processes = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(processes >= 1 && processes <= api_processes_max))
    throw new Error(`${name} must be a whole number from 1 to ${api_processes_max}, got "${raw}"`);
  return processes;
}

function smtpFromEnv(env: Env): ChallengesConfig['smtp'] {
  const url = nonEmpty(env.PURSE_SMTP_URL);
  return url === undefined ? undefined : { url, from: env.PURSE_SMTP_FROM ?? 'Purse <no-reply@localhost>' };
}

/** Delivery slots per worker process, and the shares of one endpoint and of failing endpoints. */
function deliverySlotsFromEnv(
  env: Env,
): Pick<
  WebhookConfig,
  'deliveries_in_flight_max' | 'deliveries_per_endpoint_in_flight_max' | 'failing_deliveries_in_flight_max'
> {
  const deliveries_in_flight_max = Math.max(1, intFromEnv(env, 'PURSE_WEBHOOK_DELIVERIES_IN_FLIGHT_MAX', 16));
  const share = (name: string, fallback: number) =>
    Math.min(deliveries_in_flight_max, Math.max(1, intFromEnv(env, name, fallback)));
  return {
    deliveries_in_flight_max,
    deliveries_per_endpoint_in_flight_max: share('PURSE_WEBHOOK_DELIVERIES_PER_ENDPOINT_MAX', 4),
    failing_deliveries_in_flight_max: share(
      'PURSE_WEBHOOK_FAILING_DELIVERIES_MAX',
      Math.ceil(deliveries_in_flight_max / 2),
    ),
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
    queued_transfers_max: Math.max(1, intFromEnv(env, 'PURSE_GROUP_COMMIT_QUEUED_MAX', 10_000)),
  };
}

function oauthFromEnv(env: Env): OAuthConfig {
  const keys = (env.PURSE_OAUTH_COOKIE_KEYS ?? '').split(',').filter((key) => key.length > 0);
  return {
    issuer: nonEmpty(env.PURSE_OAUTH_ISSUER) ?? `http://localhost:${intFromEnv(env, 'PORT', 8080)}/oauth`,
    cookie_keys: keys.length > 0 ? keys : [randomBytes(32).toString('base64url')],
    access_token_ttl_s: Math.max(1, intFromEnv(env, 'PURSE_OAUTH_ACCESS_TOKEN_TTL_S', 600)),
    refresh_token_ttl_s: Math.max(1, intFromEnv(env, 'PURSE_OAUTH_REFRESH_TOKEN_TTL_S', 30 * 86_400)),
    consent_ttl_s: Math.max(1, intFromEnv(env, 'PURSE_OAUTH_CONSENT_TTL_S', 365 * 86_400)),
  };
}

function tlsFromEnv(env: Env): Config['tls'] {
  const cert_path = nonEmpty(env.TLS_CERT);
  const key_path = nonEmpty(env.TLS_KEY);
  if (cert_path === undefined && key_path === undefined) {
    if (nonEmpty(env.TLS_CLIENT_CA) !== undefined)
      throw new Error('TLS_CLIENT_CA needs TLS_CERT and TLS_KEY');
    return undefined;
  }
  if (cert_path === undefined || key_path === undefined) throw new Error('TLS_CERT and TLS_KEY go together');
  const client_ca_path = nonEmpty(env.TLS_CLIENT_CA);
  return { cert_path, key_path, ...(client_ca_path === undefined ? {} : { client_ca_path }) };
}

function accessLimitsFromEnv(env: Env) {
  return {
    rate_limit_requests_max: intFromEnv(
      env,
      'PURSE_RATE_LIMIT_REQUESTS_MAX',
      defaultLimits.rate_limit_requests_max,
    ),
    rate_limit_bound_requests_max: intFromEnv(
      env,
      'PURSE_RATE_LIMIT_BOUND_REQUESTS_MAX',
      defaultLimits.rate_limit_bound_requests_max,
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

/** Comma-separated seconds, decimals allowed (tests use short ones); empty means no retries. */
function scheduleFromEnv(env: Env, name: string): number[] {
  const raw = env[name];
  if (raw === undefined) return default_retry_schedule_s;
  if (raw.trim() === '') return [];
  return raw.split(',').map((part) => {
    const value = part.trim();
    if (!/^\d+(\.\d+)?$/.test(value))
      throw new Error(`${name} must be comma-separated seconds, got "${raw}"`);
    return Number(value);
  });
}

/** Comma-separated CIDR ranges such as `10.0.0.0/8,fd00::/8`. */
function networksFromEnv(env: Env, name: string): string[] {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return [];
  return raw.split(',').map((part) => {
    const value = part.trim();
    const [address = '', prefix = ''] = value.split('/');
    const bits = isIP(address) === 6 ? 128 : isIP(address) === 4 ? 32 : 0;
    if (bits === 0 || !/^\d+$/.test(prefix) || Number(prefix) > bits)
      throw new Error(`${name} must be comma-separated CIDR ranges, got "${value}"`);
    return value;
  });
}

/** A database URL, which may list several hosts (libpq's form, db/hosts.ts): checked now, not at first use. */
function databaseUrlFromEnv(env: Env, name: string): string | undefined {
  const url = nonEmpty(env[name]);
  if (url !== undefined) parseHostList(url, name);
  return url;
}

function benchSkipFromEnv(env: Env): BenchSkip[] {
  const parts = (env.PURSE_BENCH_SKIP ?? '').split(',').filter((part) => part.trim() !== '');
  for (const part of parts)
    if (!(bench_skip_parts as readonly string[]).includes(part))
      throw new Error(`PURSE_BENCH_SKIP takes ${bench_skip_parts.join(', ')}, got "${part}"`);
  return parts as BenchSkip[];
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
