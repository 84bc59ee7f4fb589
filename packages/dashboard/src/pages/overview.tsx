import { useMemo, useState } from 'react';
import { ChartWithTable, type Series } from '../chart.js';
import { Field, Loading, Problem, Table, useLoad } from '../components.js';
import { type Dashboard, useDashboard, useTitle } from '../context.js';
import { currenciesOf, daysBetween, fillDays, percent, plotted } from '../format.js';

/** `GET /v1/reports/overview`: aggregates computed by the server, as the SDK types them. */
export type Overview = Awaited<ReturnType<Dashboard['purse']['reports']['overview']>>;

const periods = [7, 30, 90] as const;

export function OverviewPage() {
  const { mode } = useTitle('Overview');
  const { purse } = useDashboard();
  const [days, setDays] = useState<number>(30);
  const overview = useLoad(() => purse.reports.overview({ days }), [purse, days]);
  return (
    <>
      <h1>Overview ({mode})</h1>
      <Field label="Period">
        {(id) => (
          <select id={id} value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {periods.map((n) => (
              <option key={n} value={n}>
                Last {n} days
              </option>
            ))}
          </select>
        )}
      </Field>
      <Loading when={overview.loading && overview.data === undefined} />
      <Problem error={overview.error} />
      {overview.data === undefined ? null : <OverviewBody overview={overview.data} />}
    </>
  );
}

function OverviewBody({ overview }: { overview: Overview }) {
  const days = useMemo(() => daysBetween(overview.from, overview.to), [overview]);
  const volume = useMemo<Series[]>(
    () =>
      currenciesOf(overview.volume).map((currency) => {
        const rows = overview.volume.filter((row) => row.currency === currency);
        const texts = days.map((day) => rows.find((row) => row.date === day)?.amount ?? '0');
        return { label: currency, values: fillDays(days, rows, (row) => plotted(row.amount)), texts };
      }),
    [overview, days],
  );
  const payments = useMemo<Series[]>(
    () => [
      { label: 'Succeeded', values: fillDays(days, overview.payments, (row) => row.succeeded) },
      { label: 'Failed', values: fillDays(days, overview.payments, (row) => row.failed) },
    ],
    [overview, days],
  );
  const payouts = useMemo<Series[]>(
    () => [
      { label: 'Paid', values: fillDays(days, overview.payouts, (row) => row.paid) },
      { label: 'Failed', values: fillDays(days, overview.payouts, (row) => row.failed) },
    ],
    [overview, days],
  );
  const total = (series: Series) => series.values.reduce((a, b) => a + b, 0);
  return (
    <>
      <section aria-labelledby="figures" className="figures">
        <h2 id="figures">In figures</h2>
        <dl className="tiles">
          <div>
            <dt>Payment failure rate</dt>
            <dd>{percent(overview.failure_rates.payments)}</dd>
          </div>
          <div>
            <dt>Payout failure rate</dt>
            <dd>{percent(overview.failure_rates.payouts)}</dd>
          </div>
          <div>
            <dt>Webhook deliveries succeeded</dt>
            <dd>
              {/* With nothing delivered yet, "0.00 %" would read as every delivery failing. */}
              {percent(
                overview.webhooks.delivered + overview.webhooks.failed === 0
                  ? null
                  : overview.webhooks.success_rate,
              )}{' '}
              ({overview.webhooks.delivered} delivered, {overview.webhooks.failed} failed)
            </dd>
          </div>
          <div>
            <dt>API latency p50 / p99</dt>
            <dd>
              {overview.latency.p50_ms === null ? '–' : `${overview.latency.p50_ms} ms`} /{' '}
              {overview.latency.p99_ms === null ? '–' : `${overview.latency.p99_ms} ms`}
            </dd>
          </div>
        </dl>
      </section>
      <section aria-labelledby="charts">
        <h2 id="charts">
          Per day, {overview.from} to {overview.to}
        </h2>
        <div className="charts">
          <ChartWithTable
            title="Transfer volume per currency"
            kind="bar"
            labels={days}
            series={volume}
            summary={
              volume
                .map(
                  (s) =>
                    `${s.label} ${overview.volume.filter((r) => r.currency === s.label).length} active days`,
                )
                .join(', ') || 'no volume'
            }
          />
          <ChartWithTable
            title="Payments"
            kind="bar"
            labels={days}
            series={payments}
            summary={`${total(payments[0] as Series)} succeeded, ${total(payments[1] as Series)} failed`}
          />
          <ChartWithTable
            title="Payouts"
            kind="bar"
            labels={days}
            series={payouts}
            summary={`${total(payouts[0] as Series)} paid, ${total(payouts[1] as Series)} failed`}
          />
        </div>
      </section>
      <section aria-labelledby="balances">
        <h2 id="balances">Balances held</h2>
        <Table
          caption="Balances held in wallets, per currency"
          columns={[
            { label: 'Currency', cell: (row: Overview['balances'][number]) => row.currency },
            { label: 'Amount', cell: (row) => row.amount },
          ]}
          rows={overview.balances}
          empty="No balances."
        />
      </section>
      <p className="generated">Computed by the server at {overview.generated_at}.</p>
    </>
  );
}
