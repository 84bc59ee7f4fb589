import { Type } from '@sinclair/typebox';

/** GET /v1/reports/overview: its query and body (the dashboard's contract, docs/reports.md). */

export const overview_days_max = 366;
export const overview_days_default = 30;

export const OverviewQuery = Type.Object({
  days: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: overview_days_max,
      default: overview_days_default,
      description: 'How many UTC days, ending today, the report covers.',
    }),
  ),
});

const Day = Type.String({ format: 'date', examples: ['2026-12-01'] });
const Rate = Type.String({
  pattern: '^[01]\\.[0-9]{4}$',
  description: 'A fraction with 4 decimals, "0.0000" when there was nothing to count.',
  examples: ['0.0909'],
});
const Count = Type.Integer({ minimum: 0 });

export const Overview = Type.Object(
  {
    object: Type.Literal('overview'),
    livemode: Type.Boolean(),
    days: Type.Integer({ minimum: 1, maximum: overview_days_max, examples: [30] }),
    from: { ...Day, description: 'The first UTC day covered.', examples: ['2026-11-03'] },
    to: { ...Day, description: 'The last UTC day covered: today.', examples: ['2026-12-02'] },
    generated_at: Type.String({ format: 'date-time', examples: ['2026-12-02T16:30:00.000Z'] }),
    volume: Type.Array(
      Type.Object({
        date: Day,
        currency: Type.String({ examples: ['USD'] }),
        count: { ...Count, examples: [12] },
        amount: Type.String({ examples: ['1234.56'] }),
      }),
      { description: 'Transfers posted or captured per day and currency; days without any are absent.' },
    ),
    payments: Type.Array(Type.Object({ date: Day, succeeded: Count, failed: Count }), {
      description: 'Payments that succeeded or failed per day, every currency; days without any are absent.',
    }),
    payouts: Type.Array(Type.Object({ date: Day, paid: Count, failed: Count }), {
      description: 'Payouts paid, or failed or returned, per day; days without any are absent.',
    }),
    failure_rates: Type.Object({ payments: Rate, payouts: Rate }),
    balances: Type.Array(
      Type.Object({
        currency: Type.String({ examples: ['USD'] }),
        amount: Type.String({ examples: ['98765.43'] }),
      }),
      { description: 'Posted balance (available + held) of every wallet of the mode, per currency, now.' },
    ),
    webhooks: Type.Object({
      delivered: { ...Count, examples: [120] },
      failed: { ...Count, examples: [2] },
      success_rate: Rate,
    }),
    latency: Type.Object(
      {
        p50_ms: Type.Union([Type.Number(), Type.Null()], { examples: [3.1] }),
        p99_ms: Type.Union([Type.Number(), Type.Null()], { examples: [24.8] }),
      },
      { description: "This process's /v1 request latency since it started, estimated from its histogram." },
    ),
  },
  {
    examples: [
      {
        object: 'overview',
        livemode: false,
        days: 30,
        from: '2026-11-03',
        to: '2026-12-02',
        generated_at: '2026-12-02T16:30:00.000Z',
        volume: [{ date: '2026-12-01', currency: 'USD', count: 12, amount: '1234.56' }],
        payments: [{ date: '2026-12-01', succeeded: 10, failed: 1 }],
        payouts: [{ date: '2026-12-01', paid: 3, failed: 0 }],
        failure_rates: { payments: '0.0909', payouts: '0.0000' },
        balances: [{ currency: 'USD', amount: '98765.43' }],
        webhooks: { delivered: 120, failed: 2, success_rate: '0.9836' },
        latency: { p50_ms: 3.1, p99_ms: 24.8 },
      },
    ],
  },
);
