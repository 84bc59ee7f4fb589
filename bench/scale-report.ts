/** The scale scenario's results file (scale.ts): issue 21's targets, then one row per step. */
import {
  backlog_sample_ms,
  type ScaleResult,
  type ScaleStep,
  scale_requests_in_flight,
  scale_transfers_per_request,
  type Timed,
} from './scale.js';

/** Issue 21's targets. */
const backlog_s_max = 1;
const rate_drop_max = 0.2;
const trial_balance_p99_ms_max = 100;
const balance_at_p99_ms_max = 10;
/** Issue 21: an incremental `purse verify` after 100,000 new transfers, at any total size. */
const verify_s_max = 1;
/** Below issue 21's smallest size, a run only shows that the scenario works. */
export const scale_transfers_full = 1_000_000;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(1);
const met = (ok: boolean) => (ok ? 'met' : '**NOT met**');

/** The events left unsequenced at worst, in seconds of the events written meanwhile. */
function backlogSeconds(step: ScaleStep): number | undefined {
  const load = step.load;
  if (load === undefined || load.events_written === 0) return undefined;
  return load.backlog_max / (load.events_written / load.s);
}

const rateOf = (step: ScaleStep | undefined) =>
  step?.load === undefined ? undefined : step.load.transfers / step.load.s;
const totalBytes = (step: ScaleStep) => step.storage.reduce((sum, table) => sum + table.bytes, 0);

export function describeScale(result: ScaleResult, machine: readonly string[]): string {
  const first = result.steps[0];
  const last = result.steps.at(-1);
  if (first === undefined || last === undefined) throw new Error('a scale run has steps');
  const smoke = last.transfers < scale_transfers_full;
  return [
    `# Scale benchmark${smoke ? ` (SMOKE RUN: ${fmt(last.transfers)} transfers, not a result)` : ''}, ${new Date().toISOString()}`,
    '',
    ...(smoke
      ? [
          `A smoke run: it shows the scenario works end to end. Issue 21's sizes are ${fmt(scale_transfers_full)} and 10,000,000 transfers, on a quiet machine.`,
          '',
        ]
      : []),
    '## Targets (issue 21)',
    '',
    ...targets(result),
    '',
    '## At each step',
    '',
    ...stepsTable(result),
    ...verifyFailures(result),
    '',
    ...storageTable(first, last),
    ...notes(result),
    '',
    ...machine,
  ].join('\n');
}

function targets(result: ScaleResult): string[] {
  const loaded = result.steps.filter((step) => step.load !== undefined);
  const worst = (values: number[]) => Math.max(0, ...values);
  const backlog_worst = worst(loaded.map((step) => backlogSeconds(step) ?? 0));
  const rate_first = rateOf(loaded[0]) ?? 0;
  const rate_last = rateOf(loaded.at(-1)) ?? 0;
  const trial_worst = worst(result.steps.map((step) => step.trial_balance.p99));
  const balance_worst = worst(result.steps.map((step) => step.balance_at.p99));
  const wallet_worst = worst(result.steps.map((step) => step.wallet_get.p99));
  const last = result.steps.at(-1);
  // Timed as a process (start-up included) and as the work it reports; the first step has nothing new.
  const verify_worst = worst(loaded.map((step) => step.verify.s));
  const verify_own_worst = worst(loaded.map((step) => step.verify.own_s ?? step.verify.s));
  return [
    `- Events written and not yet sequenced never over ${backlog_s_max} s of writes: at worst ${backlog_worst.toFixed(2)} s: ${met(backlog_worst <= backlog_s_max)}.`,
    `- Loading rate at the last step within ${rate_drop_max * 100}% of the first step's: ${fmt(rate_first)}/s then ${fmt(rate_last)}/s (${((rate_last / rate_first - 1) * 100).toFixed(0)}%): ${met(rate_last >= rate_first * (1 - rate_drop_max))}.`,
    `- \`GET /v1/reports/trial_balance\` p99 under ${trial_balance_p99_ms_max} ms at every step: at worst ${ms(trial_worst)} ms: ${met(trial_worst < trial_balance_p99_ms_max)}.`,
    `- \`GET /v1/wallets/:id/balance?at=\` on the hot wallet p99 under ${balance_at_p99_ms_max} ms at every step: at worst ${ms(balance_worst)} ms: ${met(balance_worst < balance_at_p99_ms_max)} (a plain \`GET /v1/wallets/:id\` in turn with it: p99 at worst ${ms(wallet_worst)} ms).`,
    `- \`purse verify\` after ${fmt(result.verify_new_transfers)} new transfers under ${verify_s_max} s at every step: at worst ${verify_worst.toFixed(2)} s as a process, ${met(verify_worst < verify_s_max)}; ${verify_own_worst.toFixed(2)} s of its own work, ${met(verify_own_worst < verify_s_max)}. At the last step: ${last === undefined ? '-' : `${last.verify.s.toFixed(2)} s${last.verify.own_s === undefined ? '' : ` (${last.verify.own_s.toFixed(2)} s of it its own work)`}`}; \`purse verify --full\`: ${last?.verify_full === undefined ? 'n/a (this build has no --full)' : `${last.verify_full.s.toFixed(1)} s`}.`,
  ];
}

function stepsTable(result: ScaleResult): string[] {
  const base = result.steps[0];
  const rate_first = rateOf(result.steps.find((step) => step.load !== undefined));
  return [
    '| transfers | loading transfers/s | vs first step | backlog max (events) | backlog max (s of writes) | ANALYZE runs | trial_balance p50 / p99 ms | balance?at p50 / p99 ms | GET wallet p50 / p99 ms | verify s (its own) | verify --full s (its own) | autovacuum wait s | reference: node start / PostgreSQL sum ms | autovacuum at verify | bytes/transfer | server RSS MiB | errors |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    ...result.steps
      .map((step) => {
        const rate = rateOf(step);
        const backlog_s = backlogSeconds(step);
        const grown =
          base === undefined || step.transfers === 0
            ? undefined
            : (totalBytes(step) - totalBytes(base)) / step.transfers;
        const verified = (timed: Timed | undefined) =>
          timed === undefined
            ? 'n/a'
            : `${timed.s.toFixed(2)}${timed.own_s === undefined ? '' : ` (${timed.own_s.toFixed(2)})`}${timed.ok ? '' : ' (FAILED)'}`;
        return [
          fmt(step.transfers),
          rate === undefined ? '-' : fmt(rate),
          rate === undefined || rate_first === undefined ? '-' : `${((rate / rate_first) * 100).toFixed(0)}%`,
          step.load === undefined ? '-' : fmt(step.load.backlog_max),
          backlog_s === undefined ? '-' : backlog_s.toFixed(2),
          step.load === undefined ? '-' : String(step.load.analyzes.length),
          `${ms(step.trial_balance.p50)} / ${ms(step.trial_balance.p99)}`,
          `${ms(step.balance_at.p50)} / ${ms(step.balance_at.p99)}`,
          `${ms(step.wallet_get.p50)} / ${ms(step.wallet_get.p99)}`,
          verified(step.verify),
          verified(step.verify_full),
          step.autovacuum_wait_s.toFixed(1),
          `${step.reference.node_start_ms.toFixed(0)} / ${step.reference.pg_sum_ms.toFixed(0)}`,
          step.autovacuum_at_verify.join(', ') || '-',
          grown === undefined ? '-' : fmt(grown),
          step.rss_bytes === undefined ? '-' : fmt(step.rss_bytes / 2 ** 20),
          String(step.trial_balance.errors + step.balance_at.errors + step.wallet_get.errors),
        ].join(' | ');
      })
      .map((cells) => `| ${cells} |`),
  ];
}

/** What each failed `purse verify` printed: the run is void without it. */
function verifyFailures(result: ScaleResult): string[] {
  const failures = result.steps.flatMap((step) =>
    [
      { name: 'purse verify', timed: step.verify },
      { name: 'purse verify --full', timed: step.verify_full },
    ].flatMap(({ name, timed }) =>
      timed?.failure === undefined
        ? []
        : [
            `- ${name} at ${fmt(step.transfers)} transfers: \`${timed.failure.slice(0, 1_000).replaceAll('\n', ' / ')}\``,
          ],
    ),
  );
  return failures.length === 0 ? [] : ['', '### Verify failures', '', ...failures];
}

/** Each table's growth since the first measurement, per transfer loaded, the largest first. */
function storageTable(first: ScaleStep, last: ScaleStep): string[] {
  if (last.transfers === 0) return [];
  const before = new Map(first.storage.map((table) => [table.table, table.bytes]));
  const grown = last.storage
    .map((table) => ({
      table: table.table,
      bytes: table.bytes,
      added: table.bytes - (before.get(table.table) ?? 0),
    }))
    .filter((table) => table.added > 0)
    .sort((a, b) => b.added - a.added);
  return [
    `### Bytes per transfer by table, at ${fmt(last.transfers)} transfers`,
    '',
    '| table | size MiB | bytes per transfer loaded |',
    '| --- | ---: | ---: |',
    ...grown.map(
      (table) => `| ${table.table} | ${fmt(table.bytes / 2 ** 20)} | ${fmt(table.added / last.transfers)} |`,
    ),
    `| all tables | ${fmt(totalBytes(last) / 2 ** 20)} | ${fmt((totalBytes(last) - totalBytes(first)) / last.transfers)} |`,
    '',
  ];
}

function notes(result: ScaleResult): string[] {
  const analyzes = result.steps.flatMap((step) => step.load?.analyzes ?? []);
  const analyze_ms_max = Math.max(0, ...analyzes.map((analyze) => analyze.ms));
  return [
    `Loaded through \`POST /v1/transfers/batch\` (${scale_transfers_per_request} transfers a request, ${scale_requests_in_flight} in flight) into a running \`purse serve\` (group commit on, its worker sequencing the events as they come), between ${fmt(result.wallets)} funded wallets${result.idle_wallets > 0 ? `, beside ${fmt(result.idle_wallets)} wallets created before loading and never moved (\`BENCH_SCALE_IDLE_WALLETS\`)` : ''}; every transfer of 0.02 pays a fee of 0.01 into one hot wallet, which gets one posting per transfer. The loading rate is over the step's loading alone (the measurements at each step are taken with the load paused, and after autovacuum has finished with what the load wrote: the seconds waited for it are a column; see autovacuum_wait_s_max in bench/scale.ts for why).`,
    '',
    `The backlog is \`count(*) FROM events WHERE position IS NULL\`, sampled every ${backlog_sample_ms} ms while loading; in seconds of writes, the worst sample over the step's events written per second (the change in the largest position plus the backlog, positions having no gaps). Meanwhile ANALYZE ran ${fmt(analyzes.length)} times in all at random moments (events, transfers, postings, ledger_transactions or accounts, one at a time, a pause of up to 3 s between; the longest took ${ms(analyze_ms_max)} ms).`,
    '',
    `Reads: ${fmt(result.requests)} requests of each, one after the other, timed from the client over HTTP on the same machine; the balance at a random instant between the start of the run and the step, in turn with a plain \`GET /v1/wallets/:id\` of the same wallet (the reference: what any read of the wallet costs at that moment). \`purse verify\` is timed as a process (start-up and migrations check included; in brackets, the time it reports for its own work), after ${fmt(result.verify_new_transfers)} transfers more than its previous run at the same step; \`--full\` just after it. The reference, taken just before verify, is the machine's speed at that moment, the median of 5 runs of each of two fixed pieces of work: \`node -e 0\` from start to exit, and \`SELECT sum(i) FROM generate_series(1, 1000000) i\` on the same PostgreSQL; a run on a slower day shows it there, beside verify. Beside it, what autovacuum was doing as verify started or ended (a VACUUM or ANALYZE of a table), if it started again or did not finish in time. Bytes per transfer: the growth of \`pg_total_relation_size\` of every table since the first row (wallets funded, nothing loaded), over the transfers loaded (\`storageBytes\` of \`packages/server/src/db/storage.ts\`). RSS: the server process's VmRSS.`,
  ];
}
