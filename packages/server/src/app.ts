import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { approvalRoutes } from './approvals/routes.js';
import { assetRoutes } from './assets/routes.js';
import { registerAudit } from './audit/request.js';
import { auditRoutes } from './audit/routes.js';
import { registerRestrictedAccess } from './auth/restricted-routes.js';
import { apiKeyRoutes } from './auth/routes.js';
import { catalogRoutes } from './billing/catalog-routes.js';
import { billingRoutes } from './billing/routes.js';
import { challengeRoutes } from './challenges/routes.js';
import type { Config } from './config.js';
import { registerDashboard } from './dashboard/assets.js';
import type { Pool } from './db/pool.js';
import { primaryOnly, ReplicaRouter } from './db/replica.js';
import { escrowRoutes } from './escrows/routes.js';
import { eventRoutes } from './events/routes.js';
import { EventStreams } from './events/stream.js';
import { fileRoutes } from './files/routes.js';
import { fxRoutes } from './fx/routes.js';
import { holderRoutes } from './holders/routes.js';
import type { Api, RouteDeps } from './http/api.js';
import { type ApiKeyCache, createApiKeyCache, registerAuth } from './http/auth.js';
import { registerJsonParser } from './http/body.js';
import { answerClientError } from './http/client-error.js';
import { answerFrameworkError, registerErrorHandling } from './http/errors.js';
import { MutationBatchWriter, mutationQueueOptions } from './http/grouped-mutation.js';
import { registerHealth } from './http/health.js';
import { registerMetrics } from './http/metrics.js';
import { registerOpenApi } from './http/openapi.js';
import { generateRequestId, registerRequestId } from './http/request-id.js';
import { registerSecurityHeaders } from './http/security.js';
import { registerGracefulClose } from './http/shutdown.js';
import { registerValidation } from './http/validation.js';
import { registerVersioning } from './http/versioning.js';
import { verificationRoutes } from './identity/routes.js';
import { registerOAuth } from './oauth/mount.js';
import { oauthRoutes } from './oauth/routes.js';
import { operatorRoutes } from './operators/routes.js';
import { sessionRoutes } from './operators/session-routes.js';
import { paymentRoutes } from './payments/routes.js';
import { payoutRoutes } from './payouts/routes.js';
import { memoryLimiter, type RateLimiter } from './ratelimit/limiter.js';
import { registerRateLimit } from './ratelimit/plugin.js';
import { redisLimiter } from './ratelimit/redis.js';
import { refundRoutes } from './refunds/routes.js';
import { reportRoutes } from './reports/routes.js';
import { GroupCommit } from './requests/group-commit.js';
import { riskRoutes } from './risk/routes.js';
import { testHelperRoutes } from './sandbox-api/routes.js';
import { searchRoutes } from './search/routes.js';
import { type Clock, systemClock } from './shared/clock.js';
import { registerHttpTracing } from './tracing/http.js';
import { transferGroupCommit } from './transfers/group-commit.js';
import { transferRoutes } from './transfers/routes.js';
import { walletRoutes } from './wallets/routes.js';
import { webhookEndpointRoutes } from './webhooks/routes.js';

const timeout_check_interval_ms = 1_000;

export interface AppDeps {
  readonly pool: Pool;
  /** A hot standby for the heavy reads while fresh enough (db/replica.ts); none: all on `pool`. */
  readonly replica_pool?: Pool;
  readonly config: Config;
  readonly clock?: Clock;
  readonly key_cache?: ApiKeyCache;
  /** A pino logger; none in tests. */
  readonly logger?: FastifyBaseLogger;
  /** Rate-limit counters; by default Redis when REDIS_URL is set, else this process's memory. */
  readonly rate_limiter?: RateLimiter;
  /** PEM certificate and key: the server speaks HTTPS only. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly client_ca?: Buffer };
  /** The dashboard's build to serve at /dashboard; by default packages/dashboard/dist. */
  readonly dashboard_dir?: string;
}

/**
 * With client CAs, TLS asks every client for a certificate but lets one without, or with one those
 * CAs did not sign, through: the API's keys need none; mutual-TLS partner apps are checked by the
 * authorization server and their bound tokens by the auth plugin (docs/oauth.md, RFC 8705).
 */
function clientCertificates(tls: { readonly client_ca?: Buffer }) {
  return tls.client_ca === undefined
    ? {}
    : { ca: tls.client_ca, requestCert: true, rejectUnauthorized: false };
}

/** Builds the HTTP application without listening: the CLI listens, tests use inject(). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = deps.config.limits;
  const server_timeouts = {
    headersTimeout: limits.headers_timeout_ms,
    // Node checks the two timeouts above only this often (30 s by default), so a slow client
    // would otherwise keep its socket up to that much longer.
    connectionsCheckingInterval: timeout_check_interval_ms,
  };
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    genReqId: generateRequestId,
    bodyLimit: limits.body_bytes_max,
    // Slow-header and slow-body clients are cut off (408); once a request is in, its response is
    // not limited by these, so an event stream lives on, kept busy by its heartbeat.
    http: server_timeouts,
    requestTimeout: limits.request_timeout_ms,
    connectionTimeout: limits.socket_idle_timeout_ms,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors: answerFrameworkError,
    // What Node's HTTP parser refuses, and the header and request timeouts: problems too.
    clientErrorHandler: answerClientError,
    // Typed as plain HTTP: routes and hooks are the same whichever server carries them.
    ...((deps.tls === undefined
      ? {}
      : {
          https: {
            cert: deps.tls.cert,
            key: deps.tls.key,
            ...clientCertificates(deps.tls),
            ...server_timeouts,
          },
        }) as object),
  }).withTypeProvider<TypeBoxTypeProvider>();
  const reads =
    deps.replica_pool === undefined
      ? primaryOnly(deps.pool)
      : new ReplicaRouter(deps.pool, deps.replica_pool, deps.config.replica_max_lag_ms).start();
  app.addHook('onClose', async () => reads.close());
  const route_deps: RouteDeps = {
    pool: deps.pool,
    reads,
    config: deps.config,
    clock: deps.clock ?? systemClock,
    key_cache: deps.key_cache ?? createApiKeyCache(deps.config.limits),
    transfer_commit: transferGroupCommit(
      { pool: deps.pool, limits: deps.config.limits, clock: deps.clock ?? systemClock },
      deps.config.group_commit,
    ),
    mutation_commit: new GroupCommit(
      { pool: deps.pool, limits: deps.config.limits },
      mutationQueueOptions(deps.config.group_commit),
      new MutationBatchWriter({ limits: deps.config.limits, clock: deps.clock ?? systemClock }),
    ),
    event_streams: new EventStreams({ pool: deps.pool, config: deps.config.events }),
  };
  // Streams never end on their own; end them when the server closes so shutdown does not wait.
  app.addHook('preClose', async () => route_deps.event_streams.closeAll());
  app.addHook('onClose', () => route_deps.transfer_commit.drain());
  app.addHook('onClose', () => route_deps.mutation_commit.drain());

  const rate_limiter =
    deps.rate_limiter ??
    (deps.config.redis_url === undefined ? memoryLimiter() : redisLimiter(deps.config.redis_url));
  app.addHook('onClose', () => rate_limiter.close());
  registerRequestId(app);
  // First of the hooks, so the span covers the others; only when configured, so it costs nothing otherwise.
  if (deps.config.tracing !== undefined) registerHttpTracing(app);
  registerGracefulClose(app);
  registerErrorHandling(app);
  registerValidation(app);
  registerJsonParser(app);
  await registerSecurityHeaders(app);
  await registerOpenApi(app);
  registerHealth(app, deps.pool);
  const latency = registerMetrics(app, {
    pool: deps.pool,
    clock: route_deps.clock,
    transfer_commit: route_deps.transfer_commit,
    reads,
    token: deps.config.metrics_token,
  });
  await registerOAuth(app, { pool: deps.pool, clock: route_deps.clock, config: deps.config });
  sessionRoutes(app as Api, {
    pool: deps.pool,
    clock: route_deps.clock,
    config: deps.config.operators,
    limiter: rate_limiter,
  });
  await registerDashboard(app, deps.dashboard_dir);
  await app.register(async (v1) => {
    const api = v1 as Api;
    registerAuth(api, {
      pool: deps.pool,
      clock: route_deps.clock,
      cache: route_deps.key_cache,
      sessions: deps.config.operators.sessions,
    });
    registerAudit(api, { pool: deps.pool, clock: route_deps.clock });
    registerRateLimit(api, { limiter: rate_limiter, limits: deps.config.limits, clock: route_deps.clock });
    registerVersioning(api);
    registerRestrictedAccess(api, { pool: deps.pool });
    assetRoutes(api, route_deps);
    holderRoutes(api, route_deps);
    apiKeyRoutes(api, route_deps);
    walletRoutes(api, route_deps);
    transferRoutes(api, route_deps);
    paymentRoutes(api, route_deps);
    refundRoutes(api, route_deps);
    payoutRoutes(api, route_deps);
    testHelperRoutes(api, route_deps);
    escrowRoutes(api, route_deps);
    reportRoutes(api, route_deps, latency);
    searchRoutes(api, route_deps);
    fxRoutes(api, route_deps);
    eventRoutes(api, route_deps);
    webhookEndpointRoutes(api, route_deps);
    approvalRoutes(api, route_deps);
    challengeRoutes(api, route_deps);
    riskRoutes(api, route_deps);
    auditRoutes(api, route_deps);
    catalogRoutes(api, route_deps);
    billingRoutes(api, route_deps);
    fileRoutes(api, route_deps);
    verificationRoutes(api, route_deps);
    oauthRoutes(api, route_deps);
    operatorRoutes(api, route_deps);
  });
  return app;
}
