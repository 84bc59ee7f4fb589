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
  verification: Type.Object(
    {
      ok: Type.Boolean({ description: 'No account-level check found anything now.' }),
      violations: Type.Array(
        Type.Object({ check: Type.String(), subject: Type.String(), detail: Type.String() }),
      ),
      checkpoint: Type.Union(
        [
          Type.Object({
            id: Type.String({
              examples: ['lcp_3f1c9a0e5b7d2c4a6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d'],
            }),
            created_at: Type.String({ examples: ['2026-12-03T04:00:00.000Z'] }),
            full_check: Type.Boolean(),
          }),
          Type.Null(),
        ],
        {
          description:
            'The latest `purse verify` checkpoint: every posting up to it was verified. Null before the first.',
        },
      ),
      postings_unverified: Type.Integer({
        description:
          "This mode's postings written after the checkpoint, which the next `purse verify` checks.",
        examples: [1204],
      }),
    },
    {
      description:
        'The account-level invariants (assets sum to zero, floors, each last posting equals its account), checked now; every posting-level invariant as of the latest checkpoint.',
    },
  ),
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
          'Posted debits and credits of every account per currency; the account-level ledger invariants checked now, and the latest `purse verify` checkpoint with how many postings came after it. Its cost does not grow with the number of postings (docs/reports.md).',
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
