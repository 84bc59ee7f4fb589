import { Type } from '@sinclair/typebox';
import type { Api, RouteDeps } from '../http/api.js';
import { authOf } from '../http/auth.js';
import type { LatencyReader } from '../http/latency.js';
import { errorResponses } from '../http/schemas.js';
import { overviewReport } from './overview.js';
import { Overview, OverviewQuery, overview_days_default } from './overview-schemas.js';
import { trialBalance } from './trial-balance.js';

const Amounts = { debits: Type.String(), credits: Type.String() };

const TrialBalanceSchema = Type.Object({
  object: Type.Literal('trial_balance'),
  livemode: Type.Boolean(),
  generated_at: Type.String(),
  assets: Type.Array(
    Type.Object({
      currency: Type.String({ examples: ['USD'] }),
      total_debits: Type.String({ examples: ['1250.00'] }),
      total_credits: Type.String({ examples: ['1250.00'] }),
      balanced: Type.Boolean(),
      accounts: Type.Array(
        Type.Object({
          account_id: Type.String(),
          kind: Type.String(),
          purpose: Type.Union([Type.String(), Type.Null()]),
          ...Amounts,
          balance: Type.String({ description: 'credits - debits' }),
        }),
      ),
    }),
  ),
  verification: Type.Object({
    ok: Type.Boolean(),
    violations: Type.Array(
      Type.Object({ check: Type.String(), subject: Type.String(), detail: Type.String() }),
    ),
  }),
});

export function reportRoutes(app: Api, deps: RouteDeps, latency: LatencyReader): void {
  app.get(
    '/v1/reports/trial_balance',
    {
      config: { scope: 'reports:read' },
      schema: {
        tags: ['Reports'],
        summary: 'Trial balance and ledger verification',
        description:
          'Posted debits and credits of every account per currency, and the result of checking every ledger invariant.',
        response: { 200: TrialBalanceSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.send(
        await deps.reads.run((pool) => trialBalance(pool, authOf(request).livemode, deps.clock.now())),
      ),
  );
  app.get(
    '/v1/reports/overview',
    {
      config: { scope: 'reports:read' },
      schema: {
        tags: ['Reports'],
        summary: "The dashboard's overview",
        description:
          "Per UTC day of the last `days`: transfer volume per currency, payments succeeded and failed, payouts paid and failed; the failure rates over the window; what the wallets of the mode hold now; webhook deliveries that succeeded or failed; and the p50 and p99 latency of this process's API requests. Totals come from daily rollups the worker keeps, plus the events it has not folded yet, so they are never stale (docs/reports.md).",
        querystring: OverviewQuery,
        response: { 200: Overview, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { livemode } = authOf(request);
      const now = deps.clock.now();
      const days = request.query.days ?? overview_days_default;
      const latencies = await latency();
      return reply.send(await deps.reads.run((pool) => overviewReport(pool, livemode, days, now, latencies)));
    },
  );
}
